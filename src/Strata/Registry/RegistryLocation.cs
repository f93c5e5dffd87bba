using System.Net;

namespace Strata.Registry;

/// <summary>
/// Where images are shared: <c>HOST[:PORT]/NAMESPACE</c> (from --registry or STRATA_REGISTRY), e.g.
/// <c>ghcr.io/acme</c>. An image repository <c>strata/workstation</c> becomes
/// <c>ghcr.io/acme/strata/workstation</c>. Loopback registries speak plain http, as the Docker
/// engine allows them without configuration; every other registry speaks https.
/// </summary>
public sealed record RegistryLocation(string Host, string Namespace)
{
    public static RegistryLocation Parse(string value)
    {
        var text = value.Trim().TrimEnd('/');
        if (text.Contains("://", StringComparison.Ordinal))
            text = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var slash = text.IndexOf('/');
        var host = slash < 0 ? text : text[..slash];
        var ns = slash < 0 ? "" : text[(slash + 1)..];
        if (host.Length == 0 || !(host.Contains('.') || host.Contains(':') || host == "localhost") ||
            Uri.CheckHostName(host.Split(':')[0]) == UriHostNameType.Unknown)
            throw new FormatException(
                $"--registry (or STRATA_REGISTRY) '{value}' does not start with a registry host: give HOST[:PORT]/NAMESPACE, e.g. ghcr.io/acme or 127.0.0.1:5000/strata.");
        if (ns.Split('/').Any(part => part.Length == 0 ? ns.Length > 0 : part != part.ToLowerInvariant()))
            throw new FormatException($"--registry '{value}': the namespace '{ns}' must be lower case path components without empty parts.");
        return new RegistryLocation(host, ns);
    }

    /// <summary>The full image name of a repository in this registry.</summary>
    public string ImageName(Oci.ImageRepository repository) => Join(Host, Namespace, repository.Name);

    /// <summary>A repository of this registry as a reference (no tag): what <see cref="IRegistry"/> takes, with a tag or digest added.</summary>
    public Oci.ImageReference Reference(Oci.ImageRepository repository) => Oci.ImageReference.Parse(ImageName(repository));

    /// <summary>The name inside the registry (what /v2/&lt;name&gt;/ takes).</summary>
    public string RemoteName(Oci.ImageRepository repository) => Join(Namespace, repository.Name);

    public bool IsLoopback
    {
        get
        {
            var name = Host.Split(':')[0].Trim('[', ']');
            return name == "localhost" || (IPAddress.TryParse(name, out var ip) && IPAddress.IsLoopback(ip));
        }
    }

    public Uri BaseUri => new($"{(IsLoopback ? "http" : "https")}://{Host}/");

    public override string ToString() => Join(Host, Namespace);

    private static string Join(params string[] parts) => string.Join('/', parts.Where(p => p.Length > 0));
}
