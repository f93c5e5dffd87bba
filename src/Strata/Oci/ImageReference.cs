using System.Text.RegularExpressions;

namespace Strata.Oci;

/// <summary>A string that is not an image reference; the message says what is wrong and what is expected.</summary>
public sealed class ImageReferenceException(string message) : FormatException(message);

/// <summary>
/// An image reference as the docker client reads one: <c>[HOST[:PORT]/]PATH[:TAG][@DIGEST]</c>, e.g.
/// <c>debian:trixie-slim</c>, <c>ghcr.io/acme/strata/workstation:base-0123456789ab</c>,
/// <c>localhost:5000/x:y@sha256:…</c>. The one place references are parsed and formatted: everything
/// else builds them with <see cref="WithTag"/> and <see cref="WithDigest"/> and prints them with
/// <see cref="ToString"/>, which gives back exactly the text parsed (an implicit Docker Hub stays implicit).
/// </summary>
/// <param name="Domain">The registry host (and port) as written; null when the reference names none (Docker Hub).</param>
/// <param name="Path">The repository path as written: <c>strata/workstation</c>, <c>debian</c>.</param>
public sealed partial record ImageReference(string? Domain, string Path, string? Tag, string? Digest)
{
    /// <summary>The registry Docker Hub references mean when they name none.</summary>
    public const string DockerHub = "docker.io";

    /// <summary>The registry host: <see cref="Domain"/>, or docker.io.</summary>
    public string Registry => Domain ?? DockerHub;

    /// <summary>The repository as written, host included when one was given: <c>localhost:5000/x</c>, <c>debian</c>.</summary>
    public string Repository => Domain is null ? Path : $"{Domain}/{Path}";

    /// <summary>The repository's name inside its registry (what /v2/&lt;name&gt;/ takes): Docker Hub's one-part names get <c>library/</c>.</summary>
    public string RemoteName => Registry == DockerHub && !Path.Contains('/') ? "library/" + Path : Path;

    /// <summary>The tag, or <c>latest</c> when none is given and no digest pins it (what the engine assumes).</summary>
    public string TagOrLatest => Tag ?? "latest";

    public ImageReference WithTag(string tag) => Parse($"{Repository}:{tag}") with { Digest = null };

    public ImageReference WithDigest(Digest digest) => this with { Digest = digest.Value };

    public ImageReference WithDigest(string digest) =>
        DigestPattern().IsMatch(digest) ? this with { Digest = digest } : throw Invalid(digest, "the digest is not ALGORITHM:HEX (sha256:<64 hex>)");

    /// <summary>The same image in another repository (same tag and digest): <c>ghcr.io/acme/x</c> for a registry run.</summary>
    public ImageReference InRepository(string repository) => Parse(repository) with { Tag = Tag, Digest = Digest };

    public override string ToString() => Repository + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    public static bool TryParse(string? text, out ImageReference reference)
    {
        try
        {
            reference = Parse(text ?? "");
            return true;
        }
        catch (ImageReferenceException)
        {
            reference = null!;
            return false;
        }
    }

    /// <summary>Parses a reference by the docker client's grammar (distribution's reference package), or throws <see cref="ImageReferenceException"/>.</summary>
    public static ImageReference Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw Invalid(text, "it is empty");
        if (text.Trim() != text) throw Invalid(text, "it has white space around it");
        var rest = text;
        string? digest = null;
        if (rest.IndexOf('@') is var at and >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!DigestPattern().IsMatch(digest)) throw Invalid(text, $"the digest '{digest}' is not ALGORITHM:HEX (sha256:<64 hex>)");
        }
        // The tag is after the last ':' that follows the last '/': "localhost:5000/x" has none.
        string? tag = null;
        if (rest.LastIndexOf(':') is var colon and >= 0 && colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag))
                throw Invalid(text, $"the tag '{tag}' is not 1-128 letters, digits, '_', '.' or '-' (not starting with '.' or '-')");
        }
        string? domain = null;
        if (rest.IndexOf('/') is var slash and >= 0 && rest[..slash] is var first &&
            (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper)))
        {
            domain = first;
            rest = rest[(slash + 1)..];
            if (!DomainPattern().IsMatch(domain)) throw Invalid(text, $"the registry host '{domain}' is not HOST[:PORT]");
        }
        if (rest.Length == 0) throw Invalid(text, "it names no repository");
        if (rest.Length > 255) throw Invalid(text, "its repository path is longer than 255 characters");
        foreach (var component in rest.Split('/'))
            if (!ComponentPattern().IsMatch(component))
                throw Invalid(text, component.Any(char.IsUpper)
                    ? $"the repository must be lower case ('{component}')"
                    : $"the path component '{component}' is not lower-case letters and digits, separated by '.', '_', '__' or '-'");
        return new ImageReference(domain, rest, tag, digest);
    }

    private static ImageReferenceException Invalid(string text, string why) => new(
        $"'{text}' is not an image reference: {why}. Expected [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST], e.g. ghcr.io/acme/workstation:base or debian:trixie-slim.");

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")]
    private static partial Regex ComponentPattern();

    [GeneratedRegex(@"^[\w][\w.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")]
    private static partial Regex DigestPattern();

    // A host name or IPv4 address (or a bracketed IPv6 one), then an optional port.
    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")]
    private static partial Regex DomainPattern();
}
