using System.Text.Json;

namespace Strata.GitHub;

/// <summary>A release asset as the REST API describes it.</summary>
public sealed record GitHubAsset(string Name, string BrowserDownloadUrl, long Size, string? Digest)
{
    /// <summary>The lower-case hex sha256 from <see cref="Digest"/> ("sha256:&lt;hex&gt;"), or null when GitHub has none (assets uploaded before mid-2025).</summary>
    public string? Sha256 =>
        Digest is { } d && d.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) ? d["sha256:".Length..].ToLowerInvariant() : null;
}

/// <summary>A release as the REST API describes it (the fields Strata uses).</summary>
public sealed record GitHubRelease(long Id, string TagName, string? Name, bool Draft, bool Prerelease,
    DateTimeOffset? PublishedAt, IReadOnlyList<GitHubAsset> Assets)
{
    public GitHubAsset? FindAsset(string name) => Assets.FirstOrDefault(a => a.Name == name);

    /// <summary>Reads one release object; throws <see cref="FormatException"/> on a missing or mistyped field.</summary>
    internal static GitHubRelease FromJson(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new FormatException($"a release must be a JSON object, not {e.ValueKind}");
        var tag = RequiredString(e, "tag_name", "release");
        var assets = new List<GitHubAsset>();
        if (e.TryGetProperty("assets", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array)
                throw new FormatException($"release {tag}: \"assets\" must be an array");
            foreach (var a in list.EnumerateArray())
            {
                var name = RequiredString(a, "name", $"an asset of release {tag}");
                assets.Add(new GitHubAsset(name,
                    RequiredString(a, "browser_download_url", $"asset {name} of release {tag}"),
                    a.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Number ? size.GetInt64() : 0,
                    OptionalString(a, "digest")));
            }
        }
        DateTimeOffset? published = OptionalString(e, "published_at") is { } p && DateTimeOffset.TryParse(p, out var d) ? d : null;
        return new GitHubRelease(
            e.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number ? id.GetInt64() : 0,
            tag, OptionalString(e, "name"), Bool(e, "draft"), Bool(e, "prerelease"), published, assets);
    }

    private static string RequiredString(JsonElement e, string key, string what) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new FormatException($"{what} has no string \"{key}\"");

    private static string? OptionalString(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Bool(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;
}
