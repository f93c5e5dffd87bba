using System.Text;
using System.Text.Json;
using Strata.Downloads;
using Strata.IO;
using static Strata.IO.StrictJson;

namespace Strata.Tools;

/// <summary>One architecture's download of a locked tool.</summary>
public sealed record LockedAsset(string Url, string Sha256);

/// <summary>A tool's pinned version; <see cref="Assets"/> is empty for npm tools.</summary>
public sealed record LockedTool(string Version, string Tag, IReadOnlyDictionary<string, LockedAsset> Assets)
{
    public bool Equivalent(LockedTool other) =>
        Version == other.Version && Tag == other.Tag && Assets.Count == other.Assets.Count
        && Assets.All(a => other.Assets.TryGetValue(a.Key, out var o) && o == a.Value);

    public LockedAsset Asset(string toolName, string arch) =>
        Assets.TryGetValue(arch, out var asset)
            ? asset
            : throw new StrataConfigException($"{ToolLock.DefaultFileName}: tool '{toolName}' has no download for architecture '{arch}'; run the pin task.");
}

/// <summary>
/// tools.lock.json: the pinned version, tag and per-architecture URL and sha256 of every tool.
/// Formatting is deterministic (tools and architectures sorted ordinally, 2-space indent, "\n" line
/// ends and a trailing newline) so a bump is a minimal diff; saving is atomic.
/// </summary>
public sealed class ToolLock
{
    public const string DefaultFileName = "tools.lock.json";
    public const int FormatVersion = 1;

    public ToolLock(IReadOnlyDictionary<string, LockedTool> tools)
    {
        Tools = new SortedDictionary<string, LockedTool>(tools.ToDictionary(), StringComparer.Ordinal);
    }

    public static ToolLock Empty { get; } = new(new Dictionary<string, LockedTool>());

    public IReadOnlyDictionary<string, LockedTool> Tools { get; }

    public LockedTool Get(string name) =>
        Tools.TryGetValue(name, out var tool)
            ? tool
            : throw new StrataConfigException($"{DefaultFileName}: tool '{name}' is not pinned; run the pin task.");

    /// <summary>The tools whose entries differ between two locks, by name: added (no old), removed (no new) or changed.</summary>
    public static IEnumerable<(string Name, LockedTool? Old, LockedTool? Now)> Changes(ToolLock before, ToolLock after)
    {
        foreach (var name in before.Tools.Keys.Union(after.Tools.Keys).Order(StringComparer.Ordinal))
        {
            before.Tools.TryGetValue(name, out var old);
            after.Tools.TryGetValue(name, out var now);
            if (old is not null && now is not null && old.Equivalent(now)) continue;
            yield return (name, old, now);
        }
    }

    /// <summary>Loads the lock; a missing file is an empty lock only when <paramref name="missingIsEmpty"/>.</summary>
    public static ToolLock Load(string path, bool missingIsEmpty = false)
    {
        if (!File.Exists(path))
            return missingIsEmpty ? Empty : throw new StrataConfigException($"{path}: file not found; run the pin task.");
        return Parse(File.ReadAllText(path), Path.GetFileName(path));
    }

    public static ToolLock Parse(string json, string fileName = DefaultFileName)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new StrataConfigException($"{fileName}: line {(e.LineNumber ?? 0) + 1}: not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = Object(document.RootElement, fileName, "the top level");
            if (!root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || v.GetInt32() != FormatVersion)
                throw new StrataConfigException($"{fileName}: the top level must have \"version\": {FormatVersion}.");
            if (!root.TryGetProperty("tools", out var toolsElement))
                throw new StrataConfigException($"{fileName}: the top level has no \"tools\".");
            CheckKeys(root, fileName, "the top level", "version", "tools");
            var tools = new Dictionary<string, LockedTool>();
            foreach (var property in Object(toolsElement, fileName, "\"tools\"").EnumerateObject())
                tools[property.Name] = ReadTool(property.Value, fileName, $"tool '{property.Name}'");
            return new ToolLock(tools);
        }
    }

    private static LockedTool ReadTool(JsonElement element, string file, string where)
    {
        Object(element, file, where);
        CheckKeys(element, file, where, "version", "tag", "assets");
        var assets = new Dictionary<string, LockedAsset>();
        if (element.TryGetProperty("assets", out var assetsElement))
            foreach (var arch in Object(assetsElement, file, $"{where} assets").EnumerateObject())
            {
                var archWhere = $"{where} architecture '{arch.Name}'";
                Object(arch.Value, file, archWhere);
                CheckKeys(arch.Value, file, archWhere, "url", "sha256");
                var sha = String(arch.Value, "sha256", file, archWhere);
                if (!Sha256Hex.IsValid(sha))
                    throw new StrataConfigException($"{file}: {archWhere}: sha256 '{sha}' is not 64 lower-case hex digits.");
                assets[arch.Name] = new LockedAsset(String(arch.Value, "url", file, archWhere), sha);
            }
        return new LockedTool(String(element, "version", file, where), String(element, "tag", file, where), assets);
    }


    /// <summary>Writes the lock atomically: a failure leaves the previous file untouched.</summary>
    public void Save(string path) => AtomicFile.Write(path, WriteTo);

    public string ToJson()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private void WriteTo(Stream stream)
    {
        using (var writer = new Utf8JsonWriter(stream, StrictJson.LockWriter))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", FormatVersion);
            writer.WriteStartObject("tools");
            foreach (var (name, tool) in Tools)
            {
                writer.WriteStartObject(name);
                writer.WriteString("version", tool.Version);
                writer.WriteString("tag", tool.Tag);
                if (tool.Assets.Count > 0)
                {
                    writer.WriteStartObject("assets");
                    foreach (var (arch, asset) in tool.Assets.OrderBy(a => a.Key, StringComparer.Ordinal))
                    {
                        // Checked while writing, so that a bad entry fails the save before the move.
                        if (!Sha256Hex.IsValid(asset.Sha256))
                            throw new InvalidOperationException($"tool '{name}' architecture '{arch}': sha256 '{asset.Sha256}' is not 64 lower-case hex digits.");
                        writer.WriteStartObject(arch);
                        writer.WriteString("url", asset.Url);
                        writer.WriteString("sha256", asset.Sha256);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndObject();
                }
                writer.WriteEndObject();
                writer.Flush();
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
    }
}
