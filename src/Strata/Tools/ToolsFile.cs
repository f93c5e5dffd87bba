using System.Text.RegularExpressions;
using NuGet.Versioning;
using YamlDotNet.RepresentationModel;
using Strata.Downloads;
using Strata.GitHub;
using Strata.Yaml;

namespace Strata.Tools;

/// <summary>
/// Reads tools.yaml: a top-level <c>tools:</c> list; every error names the file, the line and the tool.
/// <code>
/// tools:
///   - name: helm                      # also the installed command's name
///     repository: helm/helm           # GitHub releases give the versions
///     tag_prefix: v                   # default "v"; "" for bare versions; tags that don't match are ignored
///     range: "[3.19.0,4.0.0)"         # NuGet version range; default: any
///     prerelease: false               # default false; drafts are never chosen
///     image: k8s                      # the image that installs it
///     version_command: helm version --short   # stdout must contain the locked version; default "{name} --version"
///     asset: helm-v{version}-linux-{arch}.tar.gz
///     url: https://get.helm.sh/{asset}    # default: the GitHub release asset named 'asset'
///     format: tar.gz                  # raw (default), tar.gz or zip
///     binary: linux-{arch}/helm       # path inside the archive
///     arch_names: { amd64: x86_64 }   # the tool's own names for amd64/arm64
///     sha256: { sha256_url: "{url}.sha256sum" }  # or: digest, or { checksums_file: NAME }
///   - name: gemini-cli
///     kind: npm                       # version from releases, installed as package@version
///     repository: google-gemini/gemini-cli
///     package: "@google/gemini-cli"
///     image: gemini
/// </code>
/// Placeholders: {version}, {tag}, {os}, {arch}; url and sha256 also {asset}; sha256_url also {url}.
/// </summary>
public static partial class ToolsFile
{
    public const string DefaultFileName = "tools.yaml";

    private static readonly string[] Keys =
    [
        "name", "kind", "repository", "tag_prefix", "range", "prerelease", "image", "package",
        "asset", "url", "format", "binary", "arch_names", "sha256", "version_command",
    ];

    private static readonly string[] BinaryOnly = ["asset", "url", "format", "binary", "arch_names", "sha256"];

    public static ToolSet Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        return Build(StrictYaml.Load(full), full);
    }

    public static ToolSet Parse(string yaml, string fileName = DefaultFileName) =>
        Build(StrictYaml.Parse(yaml, fileName), fileName);

    private static ToolSet Build(StrictYaml doc, string path)
    {
        var top = doc.Mapping(doc.Root, "the top level", "tools");
        if (StrictYaml.Child(top, "tools") is not YamlSequenceNode list || list.Children.Count == 0)
            throw doc.Error(top, "'tools' must be a non-empty list of tools.");
        var tools = new List<ToolSpec>();
        foreach (var node in list.Children)
        {
            var tool = ReadTool(doc, node);
            if (tools.Any(t => t.Name == tool.Name))
                throw doc.Error(node, $"tool '{tool.Name}' is declared twice; tool names must be unique.");
            tools.Add(tool);
        }
        return new ToolSet(path, tools);
    }

    private static ToolSpec ReadTool(StrictYaml doc, YamlNode node)
    {
        var map = doc.Mapping(node, "a tool entry", Keys);
        var name = doc.RequiredString(map, "name", "a tool entry");
        var where = $"tool '{name}'";
        if (!ToolName().IsMatch(name))
            throw doc.Error(node, $"{where}: the name must be lower case letters, digits, '.', '_' or '-'.");

        var repository = doc.RequiredString(map, "repository", where);
        if (!RepositoryName.IsValid(repository))
            throw doc.Error(StrictYaml.Child(map, "repository")!, $"{where}: repository '{repository}' must be written owner/name.");

        var rangeText = doc.OptionalString(map, "range", where);
        var range = VersionRange.All;
        if (rangeText is not null)
        {
            // A bare "1.2" means ">= 1.2" to NuGet, which surprises readers: require interval notation.
            if (rangeText[0] is not ('[' or '(') || !VersionRange.TryParse(rangeText, out var parsed))
                throw doc.Error(StrictYaml.Child(map, "range")!,
                    $"{where}: range '{rangeText}' is not a version range; write it like \"[1.32,1.33)\" (from 1.32 inclusive to 1.33 exclusive).");
            range = parsed;
        }

        var image = doc.RequiredString(map, "image", where);
        if (!ToolName().IsMatch(image))
            throw doc.Error(StrictYaml.Child(map, "image")!, $"{where}: image '{image}' is not a valid image name.");

        var kindText = doc.OptionalString(map, "kind", where) ?? "binary";
        var common = new Common(name, repository, TagPrefix(doc, map, where), range,
            doc.OptionalBool(map, "prerelease", where, fallback: false), image, doc.OptionalString(map, "version_command", where));
        return kindText switch
        {
            "binary" => ReadBinary(doc, map, where, common),
            "npm" => ReadNpm(doc, map, where, common),
            _ => throw doc.Error(StrictYaml.Child(map, "kind")!, $"{where}: kind must be binary or npm, not '{kindText}'."),
        };
    }

    /// <summary>What every kind of tool has.</summary>
    private sealed record Common(string Name, string Repository, string TagPrefix, VersionRange Range, bool Prerelease,
        string Image, string? VersionCommand);

    private static string TagPrefix(StrictYaml doc, YamlMappingNode map, string where)
    {
        var node = StrictYaml.Child(map, "tag_prefix");
        if (node is null) return "v";
        if (node is not YamlScalarNode scalar)
            throw doc.Error(node, $"'tag_prefix' in {where} must be a single value.");
        return scalar.Value ?? "";
    }

    private static NpmTool ReadNpm(StrictYaml doc, YamlMappingNode map, string where, Common c)
    {
        foreach (var key in BinaryOnly)
            if (StrictYaml.Child(map, key) is { } bad)
                throw doc.Error(bad, $"{where} is an npm tool: '{key}' does not apply (npm installs {{package}}@{{version}}).");
        var package = doc.RequiredString(map, "package", where);
        if (!NpmPackage().IsMatch(package))
            throw doc.Error(StrictYaml.Child(map, "package")!, $"{where}: '{package}' is not an npm package name.");
        return new NpmTool
        {
            Name = c.Name, Repository = c.Repository, TagPrefix = c.TagPrefix, Range = c.Range,
            Prerelease = c.Prerelease, Image = c.Image, VersionCommand = c.VersionCommand, Package = package,
        };
    }

    private static BinaryTool ReadBinary(StrictYaml doc, YamlMappingNode map, string where, Common c)
    {
        if (StrictYaml.Child(map, "package") is { } pkg)
            throw doc.Error(pkg, $"{where}: 'package' is only for kind: npm.");

        var url = doc.OptionalString(map, "url", where);
        var asset = doc.OptionalString(map, "asset", where);
        if (asset is null)
        {
            if (url is null)
                throw doc.Error(map, $"{where} has no 'asset'; add the release asset's file name template, e.g. tool-{{version}}-linux-{{arch}}.tar.gz.");
            asset = url[(url.LastIndexOf('/') + 1)..];
        }
        CheckTemplate(doc, map, "asset", asset, where, "version", "tag", "os", "arch");
        if (url is not null)
        {
            CheckTemplate(doc, map, "url", url, where, "version", "tag", "os", "arch", "asset");
            if (!url.StartsWith("https://", StringComparison.Ordinal) && !url.StartsWith("http://", StringComparison.Ordinal))
                throw doc.Error(StrictYaml.Child(map, "url")!, $"{where}: url '{url}' must start with https://.");
        }

        var formatText = doc.OptionalString(map, "format", where) ?? "raw";
        var format = formatText switch
        {
            "raw" => ArchiveFormat.Raw,
            "tar.gz" or "tgz" => ArchiveFormat.TarGz,
            "zip" => ArchiveFormat.Zip,
            _ => throw doc.Error(StrictYaml.Child(map, "format")!, $"{where}: format must be raw, tar.gz or zip, not '{formatText}'."),
        };
        var binary = doc.OptionalString(map, "binary", where);
        if (format == ArchiveFormat.Raw && binary is not null)
            throw doc.Error(StrictYaml.Child(map, "binary")!, $"{where}: 'binary' is the path inside an archive; a raw download has none.");
        if (format != ArchiveFormat.Raw && binary is null)
            throw doc.Error(map, $"{where} is a {formatText} archive but has no 'binary' (the path of the executable inside it).");
        if (binary is not null)
            CheckTemplate(doc, map, "binary", binary, where, "version", "tag", "os", "arch");

        var archNames = doc.StringMap(map, "arch_names", where);
        foreach (var arch in archNames.Keys)
            if (!ToolSpec.Architectures.Contains(arch))
                throw doc.Error(StrictYaml.Child(map, "arch_names")!,
                    $"{where}: arch_names has '{arch}'; the architectures are {string.Join(", ", ToolSpec.Architectures)}.");

        return new BinaryTool
        {
            Name = c.Name, Repository = c.Repository, TagPrefix = c.TagPrefix, Range = c.Range,
            Prerelease = c.Prerelease, Image = c.Image, VersionCommand = c.VersionCommand,
            Asset = asset,
            Url = url,
            Format = format,
            BinaryPath = binary,
            ArchNames = archNames,
            Sha256 = ReadSha256(doc, map, where, url),
        };
    }

    private static Sha256Source ReadSha256(StrictYaml doc, YamlMappingNode map, string where, string? url)
    {
        const string help = "sha256 must be 'digest', { checksums_file: NAME } or { sha256_url: URL }";
        var node = StrictYaml.Child(map, "sha256");
        if (node is null || node is YamlScalarNode { Value: "digest" })
        {
            if (url is not null)
                throw doc.Error(node ?? map,
                    $"{where} downloads from its own url, so the release asset digest does not apply; set sha256 to {{ sha256_url: ... }} or {{ checksums_file: ... }}.");
            return new Sha256Source.Digest();
        }
        if (node is not YamlMappingNode inner || inner.Children.Count != 1)
            throw doc.Error(node, $"{where}: {help}.");
        var sub = doc.Mapping(inner, $"sha256 of {where}", "checksums_file", "sha256_url");
        if (doc.OptionalString(sub, "checksums_file", where) is { } file)
        {
            CheckTemplate(doc, sub, "checksums_file", file, where, "version", "tag", "os", "arch");
            return new Sha256Source.ChecksumsFile(file);
        }
        var sha = doc.OptionalString(sub, "sha256_url", where) ?? throw doc.Error(node, $"{where}: {help}.");
        CheckTemplate(doc, sub, "sha256_url", sha, where, "version", "tag", "os", "arch", "asset", "url");
        if (url is null && !sha.Contains("{url}", StringComparison.Ordinal) && !sha.StartsWith("http", StringComparison.Ordinal))
            throw doc.Error(node, $"{where}: sha256_url '{sha}' must be a URL (use {{url}}.sha256 for a file beside the download).");
        return new Sha256Source.Sha256Url(sha);
    }

    private static void CheckTemplate(StrictYaml doc, YamlMappingNode map, string key, string template, string where, params string[] allowed)
    {
        foreach (Match m in ToolSpec.Placeholder().Matches(template))
            if (Array.IndexOf(allowed, m.Groups[1].Value) < 0)
                throw doc.Error(StrictYaml.Child(map, key) ?? map,
                    $"{where}: '{key}' uses unknown placeholder {m.Value}; allowed here: {string.Join(", ", allowed.Select(a => "{" + a + "}"))}.");
        var open = template.Count(c => c == '{');
        if (open != template.Count(c => c == '}') || open != ToolSpec.Placeholder().Count(template))
            throw doc.Error(StrictYaml.Child(map, key) ?? map, $"{where}: '{key}' has an unbalanced or malformed {{placeholder}}: '{template}'.");
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex ToolName();

    [GeneratedRegex("^(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex NpmPackage();
}
