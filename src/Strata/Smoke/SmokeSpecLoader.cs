using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using Strata.Graph;
using Strata.Yaml;

namespace Strata.Smoke;

/// <summary>One image's own smoke spec file, as declared (before inheritance).</summary>
/// <param name="User">The user commands run as (null: inherited; "root" at the root of the chain).</param>
/// <param name="Vault">Whether the vault scenario runs (null: inherited; false at the root).</param>
public sealed record SmokeSpec(string Image, string? Source, string? User, bool? Vault, IReadOnlyList<SmokeCheck> Checks)
{
    public static SmokeSpec Empty(string image) => new(image, null, null, null, []);
}

/// <summary>An image's spec after inheritance: its ancestors' checks, then its own (same name: replaced in place).</summary>
public sealed record EffectiveSpec(string Image, string User, bool Vault, IReadOnlyList<SmokeCheck> Checks, IReadOnlyList<string> Sources);

/// <summary>
/// Reads <c>Dockerfiles/&lt;image&gt;.smoke.yaml</c>. Strict: unknown keys, bad regexes, bad modes and
/// duplicate names are errors naming the file, the line and the check.
/// <code>
/// user: dev                 # commands run as this user (inherited; default root)
/// vault: true               # run the vault scenario for this image and its children (inherited)
/// commands:
///   - name: sudo needs no password
///     run: sudo -n true     # sh -c; with login: true, bash -lc
///     user: dev             # default: the spec's user
///     login: false
///     exit_code: 0          # default 0
///     stdout: ["regex", ...]        # every one must match (multi-line: ^ and $ match at lines)
///     stdout_not: ["regex", ...]    # none may match
///     stderr: [...]
///     stderr_not: [...]
///     stderr_empty: true
///     platforms:                    # where the output legitimately differs: what a platform expects instead
///       linux/arm64: { stdout: ["^aarch64$"] }
/// files:
///   - path: /etc/sudoers.d/dev      # or ~/x: in the spec user's home
///     name: ...             # default "file PATH exists" / "file PATH is absent"
///     exists: true          # default true
///     type: file            # file, directory or symlink (not followed)
///     owner: root           # or root:root
///     group: root
///     mode: "0440"
/// env:
///   - var: LANG
///     value: en_US.UTF-8    # or pattern: REGEX
///     login: false          # true: as a bash login shell sees it
///     user: dev
/// labels:
///   - label: dev.strata.image
///     value: base           # or pattern: REGEX
/// </code>
/// </summary>
public static class SmokeSpecLoader
{
    public const string DefaultDirectory = "Dockerfiles";
    public const string Suffix = ".smoke.yaml";

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);

    public static string PathFor(ImageGraph graph, string image, string directory = DefaultDirectory) =>
        Path.Combine(graph.RootDirectory, directory, image + Suffix);

    /// <summary>Reads an image's own spec; an image without a spec file has no checks of its own.</summary>
    public static SmokeSpec LoadOwn(ImageGraph graph, string image, string directory = DefaultDirectory)
    {
        var path = PathFor(graph, image, directory);
        if (!File.Exists(path)) return SmokeSpec.Empty(image);
        return Parse(File.ReadAllText(path), image, Path.GetFileName(path)) with { Source = Path.GetRelativePath(graph.RootDirectory, path) };
    }

    /// <summary>The image's effective spec: its lineage's specs folded root first.</summary>
    public static EffectiveSpec Resolve(ImageGraph graph, string image, string directory = DefaultDirectory) =>
        Merge(image, graph.Lineage(image).Select(i => LoadOwn(graph, i.Name, directory)));

    /// <summary>Folds specs root first: a later spec's user and vault win; a check replaces the earlier one of the same name.</summary>
    public static EffectiveSpec Merge(string image, IEnumerable<SmokeSpec> rootFirst)
    {
        string? user = null;
        bool? vault = null;
        var checks = new List<SmokeCheck>();
        var sources = new List<string>();
        foreach (var spec in rootFirst)
        {
            user = spec.User ?? user;
            vault = spec.Vault ?? vault;
            if (spec.Source is not null) sources.Add(spec.Source);
            foreach (var check in spec.Checks) Put(checks, check);
        }
        return new EffectiveSpec(image, user ?? "root", vault ?? false, checks, sources);
    }

    /// <summary>Adds a check, replacing (in place) the one of the same name.</summary>
    internal static void Put(List<SmokeCheck> checks, SmokeCheck check)
    {
        var index = checks.FindIndex(c => c.Name == check.Name);
        if (index >= 0) checks[index] = check;
        else checks.Add(check);
    }

    public static SmokeSpec Parse(string yaml, string image, string fileName)
    {
        var doc = StrictYaml.Parse(yaml, fileName);
        var top = doc.Mapping(doc.Root, "the top level", "user", "vault", "commands", "files", "env", "labels");
        var user = doc.OptionalString(top, "user", "the top level");
        bool? vault = StrictYaml.Child(top, "vault") is null ? null : doc.OptionalBool(top, "vault", "the top level", false);

        var checks = new List<SmokeCheck>();
        var lines = new Dictionary<string, long>();
        void Add(SmokeCheck check, YamlNode node)
        {
            if (lines.TryGetValue(check.Name, out var first))
                throw doc.Error(node, $"check '{check.Name}' is declared twice (first on line {first}); names must be unique in a file.");
            lines[check.Name] = node.Start.Line;
            checks.Add(check);
        }

        foreach (var node in Entries(doc, top, "commands"))
            Add(ReadCommand(doc, node), node);
        foreach (var node in Entries(doc, top, "files"))
            Add(ReadFile(doc, node), node);
        foreach (var node in Entries(doc, top, "env"))
            Add(ReadEnv(doc, node), node);
        foreach (var node in Entries(doc, top, "labels"))
            Add(ReadLabel(doc, node), node);
        return new SmokeSpec(image, fileName, user, vault, checks);
    }

    private static IEnumerable<YamlNode> Entries(StrictYaml doc, YamlMappingNode top, string key) =>
        StrictYaml.Child(top, key) switch
        {
            null => [],
            YamlSequenceNode seq => seq.Children,
            var other => throw doc.Error(other, $"'{key}' must be a list of checks."),
        };

    private static string Origin(StrictYaml doc, YamlNode node) => $"{doc.FileName}:{node.Start.Line}";

    private static CommandCheck ReadCommand(StrictYaml doc, YamlNode node)
    {
        var map = doc.Mapping(node, "a command check", "name", "run", "user", "login", "exit_code",
            "stdout", "stdout_not", "stderr", "stderr_not", "stderr_empty", "platforms");
        var name = doc.RequiredString(map, "name", "a command check");
        var where = $"command check '{name}'";
        var exitText = doc.OptionalString(map, "exit_code", where) ?? "0";
        if (!int.TryParse(exitText, out var exitCode) || exitCode is < 0 or > 255)
            throw doc.Error(StrictYaml.Child(map, "exit_code")!, $"{where}: exit_code must be a number from 0 to 255, not '{exitText}'.");
        return new CommandCheck(name, Origin(doc, node),
            doc.RequiredString(map, "run", where),
            doc.OptionalString(map, "user", where),
            doc.OptionalBool(map, "login", where, false),
            exitCode,
            new OutputRules(Patterns(doc, map, "stdout", where), Patterns(doc, map, "stdout_not", where), false),
            new OutputRules(Patterns(doc, map, "stderr", where), Patterns(doc, map, "stderr_not", where),
                doc.OptionalBool(map, "stderr_empty", where, false)))
        {
            ByPlatform = ReadPlatformExpectations(doc, map, where),
        };
    }

    /// <summary>platforms: { linux/arm64: { stdout: [...], exit_code: N, ... } }: what a platform expects instead.</summary>
    private static Dictionary<Oci.Platform, PlatformExpectation> ReadPlatformExpectations(StrictYaml doc, YamlMappingNode map, string where)
    {
        var result = new Dictionary<Oci.Platform, PlatformExpectation>();
        if (StrictYaml.Child(map, "platforms") is not { } node) return result;
        if (node is not YamlMappingNode platforms)
            throw doc.Error(node, $"'platforms' in {where} must map a platform (linux/arm64) to what it expects (stdout, exit_code, ...).");
        foreach (var (key, value) in platforms.Children)
        {
            Oci.Platform platform;
            try
            {
                platform = Oci.Platform.Parse(((YamlScalarNode)key).Value ?? "");
            }
            catch (FormatException e)
            {
                throw doc.Error(key, $"{where}: {e.Message}");
            }
            var at = $"{where} on {platform}";
            var m = doc.Mapping(value, at, "exit_code", "stdout", "stdout_not", "stderr", "stderr_not", "stderr_empty");
            var exitText = doc.OptionalString(m, "exit_code", at);
            int? exitCode = exitText is null ? null
                : int.TryParse(exitText, out var n) && n is >= 0 and <= 255 ? n
                : throw doc.Error(StrictYaml.Child(m, "exit_code")!, $"{at}: exit_code must be a number from 0 to 255, not '{exitText}'.");
            bool Has(params string[] keys) => keys.Any(k => StrictYaml.Child(m, k) is not null);
            result[platform] = new PlatformExpectation(exitCode,
                Has("stdout", "stdout_not") ? new OutputRules(Patterns(doc, m, "stdout", at), Patterns(doc, m, "stdout_not", at), false) : null,
                Has("stderr", "stderr_not", "stderr_empty")
                    ? new OutputRules(Patterns(doc, m, "stderr", at), Patterns(doc, m, "stderr_not", at), doc.OptionalBool(m, "stderr_empty", at, false))
                    : null);
        }
        return result;
    }

    private static FileCheck ReadFile(StrictYaml doc, YamlNode node)
    {
        var map = doc.Mapping(node, "a file check", "name", "path", "exists", "type", "owner", "group", "mode");
        var path = doc.RequiredString(map, "path", "a file check");
        var exists = doc.OptionalBool(map, "exists", $"file check '{path}'", true);
        var name = doc.OptionalString(map, "name", $"file check '{path}'") ?? (exists ? $"file {path} exists" : $"file {path} is absent");
        var where = $"file check '{name}'";
        if (!path.StartsWith('/') && !path.StartsWith("~/", StringComparison.Ordinal))
            throw doc.Error(StrictYaml.Child(map, "path")!, $"{where}: path '{path}' must be absolute or start with ~/ (the spec user's home).");

        var type = doc.OptionalString(map, "type", where);
        if (type is not null && !FileCheck.Types.Contains(type))
            throw doc.Error(StrictYaml.Child(map, "type")!, $"{where}: type must be {string.Join(", ", FileCheck.Types)}, not '{type}'.");
        var owner = doc.OptionalString(map, "owner", where);
        var group = doc.OptionalString(map, "group", where);
        if (owner?.Split(':') is [var o, var g])
        {
            if (group is not null)
                throw doc.Error(StrictYaml.Child(map, "group")!, $"{where}: the group is given twice (owner '{owner}' and group '{group}').");
            (owner, group) = (o, g);
        }
        int? mode = null;
        if (doc.OptionalString(map, "mode", where) is { } modeText)
        {
            if (!Regex.IsMatch(modeText, "^0?[0-7]{3,4}$"))
                throw doc.Error(StrictYaml.Child(map, "mode")!, $"{where}: mode '{modeText}' must be octal like \"0644\" (quote it).");
            mode = Convert.ToInt32(modeText, 8);
        }
        if (!exists && (type ?? owner ?? group) is not null || !exists && mode is not null)
            throw doc.Error(map, $"{where}: a file that must not exist has no type, owner, group or mode.");
        return new FileCheck(name, Origin(doc, node), path, exists, type, owner, group, mode);
    }

    private static EnvCheck ReadEnv(StrictYaml doc, YamlNode node)
    {
        var map = doc.Mapping(node, "an env check", "name", "var", "value", "pattern", "login", "user");
        var variable = doc.RequiredString(map, "var", "an env check");
        var login = doc.OptionalBool(map, "login", $"env check '{variable}'", false);
        var name = doc.OptionalString(map, "name", $"env check '{variable}'") ?? $"env {variable}{(login ? " (login shell)" : "")}";
        var where = $"env check '{name}'";
        var (value, pattern) = ValueOrPattern(doc, map, where);
        return new EnvCheck(name, Origin(doc, node), variable, value, pattern, login, doc.OptionalString(map, "user", where));
    }

    private static LabelCheck ReadLabel(StrictYaml doc, YamlNode node)
    {
        var map = doc.Mapping(node, "a label check", "name", "label", "value", "pattern");
        var label = doc.RequiredString(map, "label", "a label check");
        var name = doc.OptionalString(map, "name", $"label check '{label}'") ?? $"label {label}";
        var (value, pattern) = ValueOrPattern(doc, map, $"label check '{name}'");
        return new LabelCheck(name, Origin(doc, node), label, value, pattern);
    }

    private static (string? Value, Regex? Pattern) ValueOrPattern(StrictYaml doc, YamlMappingNode map, string where)
    {
        var valueNode = StrictYaml.Child(map, "value");
        var value = valueNode is YamlScalarNode s ? s.Value ?? "" : valueNode is null ? null : doc.OptionalString(map, "value", where);
        var patterns = Patterns(doc, map, "pattern", where);
        if (value is not null && patterns.Count > 0)
            throw doc.Error(map, $"{where}: give either 'value' or 'pattern', not both.");
        if (value is null && patterns.Count == 0)
            throw doc.Error(map, $"{where} has neither 'value' nor 'pattern'; add one.");
        if (patterns.Count > 1)
            throw doc.Error(StrictYaml.Child(map, "pattern")!, $"{where}: 'pattern' is a single regex.");
        return (value, patterns.FirstOrDefault());
    }

    /// <summary>A single regex or a list of them, each compiled now so a bad one fails with its line.</summary>
    private static IReadOnlyList<Regex> Patterns(StrictYaml doc, YamlMappingNode map, string key, string where)
    {
        var node = StrictYaml.Child(map, key);
        if (node is null) return [];
        var items = node switch
        {
            YamlScalarNode scalar => [scalar],
            YamlSequenceNode seq => seq.Children,
            _ => throw doc.Error(node, $"'{key}' in {where} must be a regex or a list of regexes."),
        };
        return items.Select(item =>
        {
            if (item is not YamlScalarNode { Value: { Length: > 0 } text })
                throw doc.Error(item, $"every entry of '{key}' in {where} must be a non-empty regex.");
            try
            {
                return new Regex(text, RegexOptions.Multiline | RegexOptions.CultureInvariant, RegexTimeout);
            }
            catch (ArgumentException e)
            {
                throw doc.Error(item, $"'{key}' in {where}: /{text}/ is not a valid regex: {e.Message}");
            }
        }).ToList();
    }
}
