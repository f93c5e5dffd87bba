using System.Text.RegularExpressions;
using NuGet.Versioning;
using Strata.Downloads;

namespace Strata.Tools;

/// <summary>
/// Where a binary's sha256 comes from. Adding a source: one new record here, a parameter of
/// <see cref="Match{T}"/> (the compiler then points at every place that must handle it), and
/// its spelling in <see cref="ToolsFile"/>.
/// </summary>
public abstract record Sha256Source
{
    private Sha256Source() { }

    /// <summary>The release asset's API <c>digest</c> field ("sha256:&lt;hex&gt;"); downloaded and hashed when null.</summary>
    public sealed record Digest : Sha256Source;

    /// <summary>An asset of the same release in sha256sum format (<c>&lt;hex&gt;  &lt;name&gt;</c>), named by a template.</summary>
    public sealed record ChecksumsFile(string NameTemplate) : Sha256Source;

    /// <summary>A file beside the download holding the hex hash, optionally followed by the file name.</summary>
    public sealed record Sha256Url(string UrlTemplate) : Sha256Source;

    public T Match<T>(Func<Digest, T> digest, Func<ChecksumsFile, T> checksumsFile, Func<Sha256Url, T> sha256Url) => this switch
    {
        Digest d => digest(d),
        ChecksumsFile c => checksumsFile(c),
        Sha256Url u => sha256Url(u),
        _ => throw new InvalidOperationException($"unknown sha256 source {GetType().Name}"), // unreachable: the constructor is private
    };
}

/// <summary>
/// One entry of tools.yaml, validated: a <see cref="BinaryTool"/> or an <see cref="NpmTool"/>.
/// Adding a kind: one new record, a parameter of <see cref="Match{T}"/>, and its case in <see cref="ToolsFile"/>.
/// </summary>
public abstract partial record ToolSpec
{
    private protected ToolSpec() { }

    public const string Os = "linux";

    /// <summary>The architectures every binary tool is pinned for (Docker's names).</summary>
    public static readonly IReadOnlyList<string> Architectures = ["amd64", "arm64"];

    public required string Name { get; init; }
    /// <summary>GitHub repository (owner/name) whose releases give the versions.</summary>
    public required string Repository { get; init; }
    /// <summary>Text before the version in a tag ("v" for v1.2.3, "infisical-cli/v" for Infisical's monorepo tags).</summary>
    public required string TagPrefix { get; init; }
    public required VersionRange Range { get; init; }
    /// <summary>Whether prerelease versions may be chosen. Drafts are never chosen.</summary>
    public required bool Prerelease { get; init; }
    /// <summary>The image of strata.yaml that installs the tool.</summary>
    public required string Image { get; init; }
    /// <summary>
    /// The shell command whose standard output must contain the locked version once installed
    /// (smoke tests); null means <c>&lt;name&gt; --version</c>.
    /// </summary>
    public string? VersionCommand { get; init; }
    /// <summary>The command the smoke tests run to read the installed version.</summary>
    public string VersionCommandOrDefault => VersionCommand ?? $"{Name} --version";

    public T Match<T>(Func<BinaryTool, T> binary, Func<NpmTool, T> npm) => this switch
    {
        BinaryTool b => binary(b),
        NpmTool n => npm(n),
        _ => throw new InvalidOperationException($"unknown tool kind {GetType().Name}"), // unreachable: the constructor is private
    };

    /// <summary>The version a tag names, or null when the tag is not one of this tool's versions.</summary>
    public NuGetVersion? VersionOf(string tag)
    {
        if (!tag.StartsWith(TagPrefix, StringComparison.Ordinal)) return null;
        var rest = tag[TagPrefix.Length..];
        if (rest.Length == 0 || !char.IsAsciiDigit(rest[0])) return null;
        return NuGetVersion.TryParse(rest, out var version) ? version : null;
    }

    /// <summary>Whether a version may be pinned: in range, and not a prerelease unless allowed.</summary>
    public bool Allows(NuGetVersion version, bool markedPrerelease) =>
        (Prerelease || (!markedPrerelease && !version.IsPrerelease)) && Range.Satisfies(version);

    [GeneratedRegex(@"\{([a-z_]*)\}")]
    internal static partial Regex Placeholder();
}

/// <summary>Version tracked from GitHub releases, installed from npm; the lock records version and tag only.</summary>
public sealed record NpmTool : ToolSpec
{
    /// <summary>npm package name, e.g. <c>@google/gemini-cli</c>.</summary>
    public required string Package { get; init; }

    /// <summary>What npm installs: <c>@google/gemini-cli@0.61.0</c>.</summary>
    public string NpmSpec(string version) => $"{Package}@{version}";
}

/// <summary>A binary downloaded per architecture (a release asset or a file on another site).</summary>
public sealed record BinaryTool : ToolSpec
{
    /// <summary>Asset file name template, e.g. <c>helm-v{version}-linux-{arch}.tar.gz</c>.</summary>
    public required string Asset { get; init; }
    /// <summary>Download URL template; null means the GitHub release asset named <see cref="Asset"/>.</summary>
    public string? Url { get; init; }
    public ArchiveFormat Format { get; init; }
    /// <summary>Template of the binary's path inside the archive (tar.gz and zip); null for raw.</summary>
    public string? BinaryPath { get; init; }
    public required Sha256Source Sha256 { get; init; }
    /// <summary>Per-tool architecture names, e.g. amd64 -> x86_64; missing ones map to themselves.</summary>
    public IReadOnlyDictionary<string, string> ArchNames { get; init; } = new Dictionary<string, string>();

    public string ArchName(string arch) => ArchNames.TryGetValue(arch, out var name) ? name : arch;

    public string AssetName(string version, string tag, string arch) =>
        Render(Asset, version, tag, arch, null, null);

    public string? BinaryPathIn(string version, string tag, string arch) =>
        BinaryPath is null ? null : Render(BinaryPath, version, tag, arch, null, null);

    /// <summary>
    /// Fills a template. Placeholders: {version}, {tag}, {os}, {arch} (the tool's own name for the
    /// architecture), {asset} (the rendered asset name) and {url} (the rendered download URL).
    /// </summary>
    public string Render(string template, string version, string tag, string arch, string? asset, string? url) =>
        Placeholder().Replace(template, m => m.Groups[1].Value switch
        {
            "version" => version,
            "tag" => tag,
            "os" => Os,
            "arch" => ArchName(arch),
            "asset" => asset ?? throw new InvalidOperationException("{asset} is not available here."),
            "url" => url ?? throw new InvalidOperationException("{url} is not available here."),
            var other => throw new StrataConfigException($"tool '{Name}': unknown placeholder {{{other}}}."),
        });
}
