using System.Text.Json;
using System.Text.Json.Serialization;
using Strata.IO;
using Strata.Oci;

namespace Strata.Images;

/// <summary>
/// The last plans of a repository, newest last, in the cache directory (one small JSON file per
/// repository): each plan's key tags, so prune can keep the images of the last N plans, and each stage's
/// key components (<see cref="StageKeys"/>), so a rebuild can say what moved its key. A plan equal to
/// the newest one is not recorded again. Histories written before components were recorded still read
/// (their plans have tags only).
/// </summary>
public sealed class PlanHistory(string path)
{
    private const int Limit = 50;

    /// <summary>&lt;cache&gt;/plans/&lt;repository, '/' as '_'&gt;.json</summary>
    public static PlanHistory For(string cacheDirectory, ImageRepository repository) =>
        new(Path.Combine(cacheDirectory, "plans", repository.Name.Replace('/', '_').Replace(':', '_') + ".json"));

    public string FilePath => path;

    /// <summary>Each plan's key tags, oldest first.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Plans() => Entries().Select(e => e.Tags).ToList();

    /// <summary>Each plan's stages and their key components, oldest first (empty for plans recorded without them).</summary>
    public IReadOnlyList<IReadOnlyList<StageKeys>> Stages() => Entries().Select(e => e.Stages).ToList();

    /// <summary>Records the plans (every stage of every image, of every platform) unless their key tags equal the newest entry's.</summary>
    public void Record(params IReadOnlyList<BuildPlan> plan)
    {
        var tags = KeyTags(plan);
        var entries = Entries().ToList();
        if (entries.Count > 0 && entries[^1].Tags.SequenceEqual(tags)) return;
        entries.Add(new Entry(tags, plan.SelectMany(p => p.Images).SelectMany(i => i.Stages).Select(StageKeys.Of).ToList()));
        if (entries.Count > Limit) entries.RemoveRange(0, entries.Count - Limit);
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, entries.Select(e => new EntryJson(
            e.Tags.ToList(),
            e.Stages.Select(s => new StageJson(s.Image, s.Kind == StageKind.Core ? "core" : "published", s.Platform.ToString(), s.Key,
                new SortedDictionary<string, string>(s.Components.ToDictionary(), StringComparer.Ordinal))).ToList())).ToList()));
    }

    public static IReadOnlyList<string> KeyTags(params IReadOnlyList<BuildPlan> plans) =>
        plans.SelectMany(p => p.Images).SelectMany(i => i.Stages).Select(s => s.KeyTag.ToString()).Distinct().Order(StringComparer.Ordinal).ToList();

    private sealed record Entry(IReadOnlyList<string> Tags, IReadOnlyList<StageKeys> Stages);

    private IReadOnlyList<Entry> Entries()
    {
        if (!File.Exists(path)) return [];
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Array
                ? new Entry(e.Deserialize<List<string>>()!, []) // before components were recorded: tags only
                : Read(e.Deserialize<EntryJson>()!)).ToList();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or NullReferenceException)
        {
            throw new StrataConfigException($"{path} is not a plan history ({e.Message}); delete it (prune then keeps only the current plan's images, " +
                                            "and the next rebuilds cannot say what changed).");
        }
    }

    private static Entry Read(EntryJson e) => new(e.Tags, (e.Stages ?? []).Select(s => new StageKeys(s.Image,
        s.Stage == "core" ? StageKind.Core : StageKind.Published, Platform.Parse(s.Platform), s.Key, s.Components)).ToList());

    private sealed record EntryJson(
        [property: JsonPropertyName("tags")] List<string> Tags,
        [property: JsonPropertyName("stages")] List<StageJson>? Stages);

    private sealed record StageJson(
        [property: JsonPropertyName("image")] string Image,
        [property: JsonPropertyName("stage")] string Stage,
        [property: JsonPropertyName("platform")] string Platform,
        [property: JsonPropertyName("key")] string Key,
        [property: JsonPropertyName("components")] SortedDictionary<string, string> Components);
}
