using Strata.Images;
using Strata.Smoke;

namespace Strata.Tests.Support.Fakes;

/// <summary>
/// Smoke tests that pass, or fail for the images named in <see cref="Failing"/> (by name, or "name platform" for one platform);
/// it counts what it ran (by name; <see cref="RanOn"/> with the platform).
/// </summary>
public sealed class FakeSmokeRunner : ISmokeRunner
{
    public HashSet<string> Failing { get; } = [];
    public List<string> Ran { get; } = [];
    public List<string> RanOn { get; } = [];
    /// <summary>The vault runtime a passing run of this image reports (by name); none by default.</summary>
    public Dictionary<string, string> VaultRuntimes { get; } = [];

    public string ProofKey(ImagePlan image) => image.Key; // a content key is 64 hex, like a proof key

    public Task<SmokeResult> RunAsync(ImagePlan image, CancellationToken ct = default)
    {
        Ran.Add(image.Name);
        RanOn.Add($"{image.Name} {image.Platform}");
        var passed = !Failing.Contains(image.Name) && !Failing.Contains($"{image.Name} {image.Platform}");
        var check = new CheckResult(image.Name, "fake check", CheckKind.Command, passed, passed ? "" : "fails on purpose", "test", TimeSpan.Zero);
        return Task.FromResult(new SmokeResult(image.Name, image.Published.KeyTag, [check], VaultRuntimes.GetValueOrDefault(image.Name), null, TimeSpan.Zero));
    }
}
