namespace Strata.GitHub;

/// <summary>A release asset as the REST API describes it.</summary>
public sealed record GitHubAsset(string Name, string BrowserDownloadUrl, string? Digest)
{
    /// <summary>The lower-case hex sha256 from <see cref="Digest"/> ("sha256:&lt;hex&gt;"), or null when GitHub has none (assets uploaded before mid-2025).</summary>
    public string? Sha256 =>
        Digest is { } d && d.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) ? d["sha256:".Length..].ToLowerInvariant() : null;
}

/// <summary>A release as the REST API describes it (the fields Strata uses).</summary>
public sealed record GitHubRelease(string TagName, bool Draft, bool Prerelease, string HtmlUrl, IReadOnlyList<GitHubAsset> Assets)
{
    public GitHubAsset? FindAsset(string name) => Assets.FirstOrDefault(a => a.Name == name);
}

// The payloads as Octokit's serializer reads them (snake_case to PascalCase). Octokit 14's own
// ReleaseAsset has no "digest", hence these.
internal sealed class ReleasePayload
{
    public string? TagName { get; set; }
    public bool Draft { get; set; }
    public bool Prerelease { get; set; }
    public string? HtmlUrl { get; set; }
    public List<AssetPayload>? Assets { get; set; }
}

internal sealed class AssetPayload
{
    public string? Name { get; set; }
    public string? BrowserDownloadUrl { get; set; }
    public string? Digest { get; set; }
}
