using Strata.Graph;
using Strata.Reporting;
using Strata.Smoke;

namespace Strata.Pipeline;

/// <summary>What one run did: per image and platform, built or reused and from where, and every smoke run. The reports are written from it.</summary>
public sealed class RunRecord(Func<ImageGraph> graph)
{
    private readonly Dictionary<(string Name, string Platform), ImageResult> _images = [];
    private readonly List<SmokeResult> _smoke = [];

    /// <summary>What this run built or reused, in chain order, each image's platforms in strata.yaml's order.</summary>
    public IReadOnlyList<ImageResult> Images =>
        _images.Count == 0 ? [] : graph().Images.SelectMany(i => graph().Platforms.Select(p => (i.Name, p.ToString())))
            .Where(_images.ContainsKey).Select(k => _images[k]).ToList();

    public IReadOnlyList<SmokeResult> SmokeRuns => _smoke;

    public ImageResult? Get(string image, Oci.Platform platform) => _images.GetValueOrDefault((image, platform.ToString()));

    public void Record(ImageResult result) => _images[(result.Name, result.Platform)] = result;

    public void Record(SmokeResult result) => _smoke.Add(result);
}
