namespace Strata.Reproducible;

/// <summary>
/// What a release built with --reproducible says about its images, in the provenance (internal parameters) and the
/// release notes: that they are normalised to one epoch and pushed with Strata's own compression (so the same key gives
/// the same manifest digest), and the command that rebuilds them to check it.
/// </summary>
public sealed record ReproducibleClaim(string Epoch, string Check, string Compression)
{
    public static ReproducibleClaim For(Registry.RegistryLocation? registry) => new(ReproducibleEpoch.Rfc3339,
        $"./build.sh --target=verify --rebuild{(registry is null ? "" : $" --registry={registry}")} (at the released commit)",
        StableGzip.Description);

    public string Markdown() =>
        $"\n## Reproducible\n\nEvery image was normalised (file times clamped to {Epoch}, build records left out, stable config): " +
        $"the same key gives the same image id, on any machine; pushed by Strata with its own compression ({Compression}) and an OCI " +
        $"manifest, it gives the same manifest digest and the same blobs too. To check it, rebuild without cache and compare with the moving tags:\n\n    {Check}\n";
}
