using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Strata.Yaml;

/// <summary>
/// Strict reading of Strata's YAML files: every error names the file, the line and the entry,
/// and a key that is not part of the format is an error (a typo must not be silently ignored).
/// </summary>
public sealed class StrictYaml
{
    private StrictYaml(string fileName, YamlNode root)
    {
        FileName = fileName;
        Root = root;
    }

    public string FileName { get; }
    public YamlNode Root { get; }

    public static StrictYaml Load(string path)
    {
        if (!File.Exists(path))
            throw new StrataConfigException($"{path}: file not found.");
        return Parse(File.ReadAllText(path), Path.GetFileName(path));
    }

    public static StrictYaml Parse(string text, string fileName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new StrataConfigException($"{fileName}: line {e.Start.Line}: not valid YAML: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet reports some structural errors (an unclosed flow sequence) this way.
            throw new StrataConfigException($"{fileName}: not valid YAML: {e.Message}");
        }
        if (stream.Documents.Count == 0)
            throw new StrataConfigException($"{fileName}: the file is empty.");
        return new StrictYaml(fileName, stream.Documents[0].RootNode);
    }

    public StrataConfigException Error(YamlNode node, string what) =>
        new($"{FileName}: line {node.Start.Line}: {what}");

    /// <summary>The node as a mapping whose keys must all be in <paramref name="allowed"/>.</summary>
    public YamlMappingNode Mapping(YamlNode node, string where, params string[] allowed)
    {
        if (node is not YamlMappingNode map)
            throw Error(node, $"{where} must be a mapping (key: value lines).");
        foreach (var key in map.Children.Keys)
        {
            var name = ((YamlScalarNode)key).Value ?? "";
            if (Array.IndexOf(allowed, name) < 0)
                throw Error(key, $"unknown key '{name}' in {where}. Allowed keys: {string.Join(", ", allowed)}.");
        }
        return map;
    }

    public static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public string? OptionalString(YamlMappingNode map, string key, string where)
    {
        var node = Child(map, key);
        if (node is null) return null;
        if (node is not YamlScalarNode scalar)
            throw Error(node, $"'{key}' in {where} must be a single value.");
        return string.IsNullOrEmpty(scalar.Value) ? null : scalar.Value;
    }

    public string RequiredString(YamlMappingNode map, string key, string where) =>
        OptionalString(map, key, where)
        ?? throw Error(map, $"{where} has no '{key}'; add one.");

    public bool OptionalBool(YamlMappingNode map, string key, string where, bool fallback)
    {
        var text = OptionalString(map, key, where);
        if (text is null) return fallback;
        return text switch
        {
            "true" or "yes" => true,
            "false" or "no" => false,
            _ => throw Error(Child(map, key)!, $"'{key}' in {where} must be true or false, not '{text}'."),
        };
    }

    public IReadOnlyList<string> StringList(YamlMappingNode map, string key, string where)
    {
        var node = Child(map, key);
        if (node is null) return [];
        if (node is not YamlSequenceNode seq)
            throw Error(node, $"'{key}' in {where} must be a list.");
        return seq.Children.Select(item => item is YamlScalarNode { Value: { } v }
                ? v
                : throw Error(item, $"every entry of '{key}' in {where} must be a single value."))
            .ToList();
    }

    public IReadOnlyDictionary<string, string> StringMap(YamlMappingNode map, string key, string where)
    {
        var node = Child(map, key);
        if (node is null) return new Dictionary<string, string>();
        if (node is not YamlMappingNode args)
            throw Error(node, $"'{key}' in {where} must be a mapping of names to values.");
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in args.Children)
        {
            if (v is not YamlScalarNode scalar)
                throw Error(v, $"'{key}.{k}' in {where} must be a single value.");
            result[((YamlScalarNode)k).Value!] = scalar.Value ?? "";
        }
        return result;
    }
}
