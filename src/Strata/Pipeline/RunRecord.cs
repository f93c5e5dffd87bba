using Strata.Graph;
using Strata.Reporting;
using Strata.Smoke;

namespace Strata.Pipeline;

/// <summary>What one run did: per image, built or reused and from where, and every smoke run. The reports are written from it.</summary>
public sealed class RunRecord(Func<ImageGraph> graph)
{
    private readonly Dictionary<string, ImageResult> _images = [];
    private readonly List<SmokeResult> _smoke = [];

    /// <summary>What this run built or reused, in chain order.</summary>
    public IReadOnlyList<ImageResult> Images =>
        _images.Count == 0 ? [] : graph().Images.Where(i => _images.ContainsKey(i.Name)).Select(i => _images[i.Name]).ToList();

    public IReadOnlyList<SmokeResult> SmokeRuns => _smoke;

    public ImageResult? Get(string image) => _images.GetValueOrDefault(image);

    public void Record(ImageResult result) => _images[result.Name] = result;

    public void Record(SmokeResult result) => _smoke.Add(result);
}
