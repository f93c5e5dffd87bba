namespace Strata.Oci;

/// <summary>
/// An image repository, no tag and no digest: <c>[HOST[:PORT]/]PATH</c>, e.g. strata.yaml's <c>strata/workstation</c>.
/// Parsed once where it is read (by <see cref="ImageReference"/>'s grammar); tags and digests are added to its
/// <see cref="Reference"/>, never to its text.
/// </summary>
public sealed record ImageRepository
{
    private ImageRepository(ImageReference reference) => Reference = reference;

    /// <summary>The repository as a reference with neither tag nor digest: what <see cref="ImageReference.WithTag"/> and <see cref="ImageReference.WithDigest"/> start from.</summary>
    public ImageReference Reference { get; }

    /// <summary>The name as written, host included when one was given.</summary>
    public string Name => Reference.Repository;

    /// <summary>Parses a repository name, or throws <see cref="ImageReferenceException"/> (also for a name with a tag or a digest).</summary>
    public static ImageRepository Parse(string text)
    {
        var reference = ImageReference.Parse(text);
        if (reference.Tag is not null || reference.Digest is not null)
            throw new ImageReferenceException(
                $"'{text}' is not an image repository: it has a {(reference.Digest is not null ? "digest" : "tag")}. Expected [HOST[:PORT]/]NAME, e.g. strata/workstation.");
        return new ImageRepository(reference);
    }

    public static bool TryParse(string? text, out ImageRepository repository)
    {
        repository = ImageReference.TryParse(text, out var reference) && reference is { Tag: null, Digest: null } ? new ImageRepository(reference) : null!;
        return repository is not null;
    }

    public override string ToString() => Name;
}
