using System.Text;
using NuGet.Versioning;
using Strata.Downloads;
using Strata.GitHub;

namespace Strata.Tools;

public record PinOptions
{
    /// <summary>Path of tools.yaml.</summary>
    public required string ToolsPath { get; init; }
    /// <summary>Path of tools.lock.json (need not exist yet).</summary>
    public required string LockPath { get; init; }
    /// <summary>Only this tool is resolved (--tool=NAME); the others keep their locked entries.</summary>
    public string? Tool { get; init; }
    /// <summary>Check mode: resolve and compare, never write.</summary>
    public bool Check { get; init; }
}

/// <param name="Lock">The lock as it should be.</param>
/// <param name="Previous">The lock as it was (empty when there was none).</param>
/// <param name="Changed">Whether <paramref name="Lock"/> differs from <paramref name="Previous"/> (in check mode: the lock is stale).</param>
/// <param name="Diff">One line per change, readable; empty when nothing changed.</param>
/// <param name="Written">Whether the lock file was written.</param>
/// <param name="Sources">Where each tool resolved in this run came from, by tool name.</param>
public sealed record PinResult(ToolLock Lock, ToolLock Previous, bool Changed, string Diff, bool Written,
    IReadOnlyDictionary<string, ToolSource> Sources);

/// <summary>Where a pinned version and its hashes came from, for a reviewer.</summary>
/// <param name="ReleaseUrl">The release's page (its notes).</param>
/// <param name="Sha256From">Per architecture: "asset digest", "checksums.txt", "helm-v3.19.4-linux-amd64.tar.gz.sha256sum", ...</param>
public sealed record ToolSource(string ReleaseUrl, IReadOnlyDictionary<string, string> Sha256From);

/// <summary>
/// Resolves the newest allowed version of the tools in tools.yaml and their per-architecture
/// download URL and sha256, and writes tools.lock.json (or, in check mode, reports what is stale).
/// </summary>
public sealed class Pinner(GitHubReleasesClient github, AssetCache assets, HttpClient http, Action<string>? log = null)
{
    private readonly Dictionary<string, string> _textCache = new(StringComparer.Ordinal);

    /// <summary>Pins the tools of a tools.yaml into its lock file (not written in check mode). Logs the diff once.</summary>
    public async Task<PinResult> PinAsync(PinOptions options, CancellationToken ct = default)
    {
        var tools = ToolsFile.Load(options.ToolsPath);
        var previous = ToolLock.Load(options.LockPath, missingIsEmpty: true);
        var result = await ResolveAsync(tools, previous, options.Tool, ct).ConfigureAwait(false);
        if (result.Changed && !options.Check)
        {
            result.Lock.Save(options.LockPath);
            log?.Invoke($"{result.Diff}wrote {options.LockPath}");
            return result with { Written = true };
        }
        log?.Invoke(result.Changed ? $"{options.LockPath} is stale:\n{result.Diff.TrimEnd('\n')}" : $"{options.LockPath} is up to date");
        return result;
    }

    /// <summary>The lock <paramref name="tools"/> should have, starting from <paramref name="previous"/>; writes nothing.</summary>
    /// <param name="only">Resolve only this tool (the others keep their entries); null: every tool.</param>
    public async Task<PinResult> ResolveAsync(ToolSet tools, ToolLock previous, string? only = null, CancellationToken ct = default)
    {
        var selected = only is not null ? [tools.Get(only)] : tools.Tools;
        var next = new Dictionary<string, LockedTool>();
        foreach (var tool in tools.Tools)
            if (previous.Tools.TryGetValue(tool.Name, out var kept))
                next[tool.Name] = kept; // tools no longer in tools.yaml are dropped
        var sources = new Dictionary<string, ToolSource>();
        foreach (var tool in selected)
            (next[tool.Name], sources[tool.Name]) = await ResolveAsync(tool, ct).ConfigureAwait(false);

        var updated = new ToolLock(next);
        var diff = Diff(previous, updated);
        return new PinResult(updated, previous, diff.Length > 0, diff, Written: false, sources);
    }

    private async Task<GitHubRelease> ResolveReleaseAsync(ToolSpec tool, CancellationToken ct)
    {
        var releases = await github.ListReleasesAsync(tool.Repository, ct).ConfigureAwait(false);
        var best = releases
            .Where(r => !r.Draft)
            .Select(r => (Version: tool.VersionOf(r.TagName), Release: r))
            .Where(c => c.Version is not null && tool.Allows(c.Version, c.Release.Prerelease))
            .OrderByDescending(c => c.Version)
            .ThenBy(c => c.Release.TagName, StringComparer.Ordinal)
            .FirstOrDefault();
        if (best.Version is null)
            throw new StrataConfigException(
                $"tool '{tool.Name}': none of the {releases.Count} releases of {tool.Repository} has a tag '{tool.TagPrefix}<version>' in range {tool.Range}"
                + (tool.Prerelease ? "" : " that is not a prerelease or draft") + ".");
        return best.Release;
    }

    private async Task<(LockedTool, ToolSource)> ResolveAsync(ToolSpec tool, CancellationToken ct)
    {
        var release = await ResolveReleaseAsync(tool, ct).ConfigureAwait(false);
        var tag = release.TagName;
        var version = tag[tool.TagPrefix.Length..];
        log?.Invoke($"{tool.Name}: {version} ({tool.Repository} {tag})");
        var locked = new Dictionary<string, LockedAsset>();
        var from = new Dictionary<string, string>();
        await tool.Match<Task>(
            binary: async b =>
            {
                foreach (var arch in ToolSpec.Architectures)
                    (locked[arch], from[arch]) = await ResolveAssetAsync(b, release, version, arch, ct).ConfigureAwait(false);
            },
            npm: _ => Task.CompletedTask).ConfigureAwait(false); // npm installs package@version: nothing per architecture
        return (new LockedTool(version, tag, locked), new ToolSource(release.HtmlUrl, from));
    }

    private async Task<(LockedAsset, string From)> ResolveAssetAsync(BinaryTool tool, GitHubRelease release, string version, string arch, CancellationToken ct)
    {
        var tag = release.TagName;
        var name = tool.AssetName(version, tag, arch);
        var where = $"tool '{tool.Name}' ({arch}) {tag}";
        GitHubAsset RequiredAsset(string assetName) => release.FindAsset(assetName)
            ?? throw new StrataConfigException(
                $"{where}: the release has no asset '{assetName}'. Its assets: {string.Join(", ", release.Assets.Select(a => a.Name))}.");

        var url = tool.Url is { } template
            ? tool.Render(template, version, tag, arch, name, null)
            : RequiredAsset(name).BrowserDownloadUrl;

        var (sha, from) = await tool.Sha256.Match<Task<(string, string)>>(
            digest: async _ =>
            {
                if (RequiredAsset(name).Sha256 is { } digest)
                    return (digest, "asset digest");
                log?.Invoke($"{where}: GitHub has no digest for {name}; downloading it to hash it");
                return ((await assets.DownloadAndHashAsync(tool.Name, arch, url, ct).ConfigureAwait(false)).Sha256, "downloaded and hashed (no asset digest)");
            },
            checksumsFile: async file =>
            {
                var fileName = tool.Render(file.NameTemplate, version, tag, arch, name, url);
                var text = await GetTextAsync(RequiredAsset(fileName).BrowserDownloadUrl, where, ct).ConfigureAwait(false);
                return (FindInChecksums(text, name)
                    ?? throw new StrataConfigException($"{where}: {fileName} lists no file named exactly '{name}'."), fileName);
            },
            sha256Url: async shaFile =>
            {
                var shaUrl = tool.Render(shaFile.UrlTemplate, version, tag, arch, name, url);
                return (ParseSha256File(await GetTextAsync(shaUrl, where, ct).ConfigureAwait(false), name, new Uri(url).Segments[^1])
                    ?? throw new StrataConfigException($"{where}: {shaUrl} does not hold a sha256 for '{name}'."), new Uri(shaUrl).Segments[^1]);
            }).ConfigureAwait(false);
        if (!Sha256Hex.IsValid(sha))
            throw new StrataConfigException($"{where}: '{sha}' is not a sha256.");
        return (new LockedAsset(url, sha), from);
    }

    /// <summary>The hash of exactly <paramref name="name"/> in a sha256sum/goreleaser file (<c>&lt;hex&gt;  &lt;name&gt;</c>, or <c>*name</c> in binary mode).</summary>
    private static string? FindInChecksums(string text, string name)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var space = line.IndexOf(' ');
            if (space != 64) continue;
            var file = line[space..].TrimStart(' ');
            if (file.StartsWith('*')) file = file[1..];
            if (file == name) return line[..64].ToLowerInvariant();
        }
        return null;
    }

    /// <summary>A .sha256 file: the hex alone, or followed by a file name, which must then be the asset's.</summary>
    private static string? ParseSha256File(string text, params string[] acceptedNames)
    {
        var parts = text.Trim().Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0].Length != 64) return null;
        if (parts.Length == 1) return parts[0].ToLowerInvariant();
        var file = parts[1].TrimStart('*');
        return parts.Length == 2 && acceptedNames.Contains(file) ? parts[0].ToLowerInvariant() : null;
    }

    private async Task<string> GetTextAsync(string url, string where, CancellationToken ct)
    {
        if (_textCache.TryGetValue(url, out var cached)) return cached;
        using var response = await http.GetAsync(url, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new AssetDownloadException($"{where}: GET {url} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        _textCache[url] = text;
        return text;
    }

    /// <summary>A readable description of what changes between two locks; empty when they are the same.</summary>
    public static string Diff(ToolLock before, ToolLock after)
    {
        var lines = new StringBuilder();
        foreach (var (name, old, now) in ToolLock.Changes(before, after))
        {
            if (old is null) { lines.Append($"+ {name} {now!.Version} ({now.Tag})\n"); continue; }
            if (now is null) { lines.Append($"- {name} {old.Version} (no longer in tools.yaml)\n"); continue; }
            lines.Append(old.Version == now.Version && old.Tag == now.Tag
                ? $"~ {name} {now.Version}\n"
                : $"~ {name} {old.Version} -> {now.Version} ({old.Tag} -> {now.Tag})\n");
            foreach (var arch in old.Assets.Keys.Union(now.Assets.Keys).Order(StringComparer.Ordinal))
            {
                old.Assets.TryGetValue(arch, out var a);
                now.Assets.TryGetValue(arch, out var b);
                if (a == b) continue;
                if (a?.Url != b?.Url) lines.Append($"    {arch} url: {a?.Url ?? "(none)"} -> {b?.Url ?? "(none)"}\n");
                if (a?.Sha256 != b?.Sha256) lines.Append($"    {arch} sha256: {a?.Sha256 ?? "(none)"} -> {b?.Sha256 ?? "(none)"}\n");
            }
        }
        return lines.ToString();
    }
}
