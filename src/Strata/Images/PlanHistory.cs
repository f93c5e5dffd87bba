using System.Text.Json;
using Strata.Graph;
using Strata.IO;

namespace Strata.Images;

/// <summary>
/// The key tags of the last plans of a repository, newest last, in the cache directory (one small
/// JSON file per repository), so prune can keep the images of the last N plans. A plan equal to the
/// newest one is not recorded again.
/// </summary>
public sealed class PlanHistory(string path)
{
    private const int Limit = 50;

    /// <summary>&lt;cache&gt;/plans/&lt;repository, '/' as '_'&gt;.json</summary>
    public static PlanHistory For(string cacheDirectory, string repository) =>
        new(Path.Combine(cacheDirectory, "plans", repository.Replace('/', '_').Replace(':', '_') + ".json"));

    public string FilePath => path;

    /// <summary>Each plan's key tags, oldest first.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Plans()
    {
        if (!File.Exists(path)) return [];
        try
        {
            return JsonSerializer.Deserialize<List<List<string>>>(File.ReadAllText(path)) ?? [];
        }
        catch (JsonException e)
        {
            throw new StrataConfigException($"{path} is not a plan history ({e.Message}); delete it (prune then keeps only the current plan's images).");
        }
    }

    /// <summary>Records the plans' key tags (every stage of every image, of every platform) unless they equal the newest entry.</summary>
    public void Record(params IReadOnlyList<BuildPlan> plan)
    {
        var tags = KeyTags(plan);
        var plans = Plans().ToList();
        if (plans.Count > 0 && plans[^1].SequenceEqual(tags)) return;
        plans.Add(tags);
        if (plans.Count > Limit) plans.RemoveRange(0, plans.Count - Limit);
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, plans));
    }

    public static IReadOnlyList<string> KeyTags(params IReadOnlyList<BuildPlan> plans) =>
        plans.SelectMany(p => p.Images).SelectMany(i => i.Stages).Select(s => s.KeyTag.ToString()).Distinct().Order(StringComparer.Ordinal).ToList();
}
