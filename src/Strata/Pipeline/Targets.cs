using Strata.Graph;

namespace Strata.Pipeline;

/// <summary>
/// The build script's target names. Every image of strata.yaml becomes a target of its own name and
/// a smoke-&lt;image&gt; target, so an image may not take a built-in name or the smoke- prefix.
/// </summary>
public static class Targets
{
    public const string Default = "Default";
    public const string Images = "images";
    public const string Plan = "plan";
    public const string Smoke = "smoke";
    public const string SmokePrefix = "smoke-";
    public const string Pin = "pin";
    public const string BumpPr = "bump-pr";
    public const string Test = "test";
    public const string Release = "release";
    public const string ReleaseIndex = "release-index";
    public const string Verify = "verify";
    public const string Prune = "prune";
    public const string VaultScenario = "vault-scenario";

    public static readonly IReadOnlyList<string> BuiltIn = [Default, Images, Plan, Smoke, Pin, BumpPr, Test, Release, ReleaseIndex, Verify, Prune, VaultScenario];

    public static string SmokeOf(string image) => SmokePrefix + image;

    /// <summary>Fails with a message naming strata.yaml and the image when an image name clashes with a target.</summary>
    public static void CheckImageNames(ImageGraph graph)
    {
        var file = Path.GetFileName(graph.ConfigPath);
        foreach (var image in graph.Images)
        {
            if (BuiltIn.Contains(image.Name, StringComparer.OrdinalIgnoreCase))
                throw new StrataConfigException(
                    $"{file}: line {image.Line}: image '{image.Name}' has the name of a built-in target ({string.Join(", ", BuiltIn)}); rename it.");
            if (image.Name.StartsWith(SmokePrefix, StringComparison.OrdinalIgnoreCase))
                throw new StrataConfigException(
                    $"{file}: line {image.Line}: image '{image.Name}' clashes with the {SmokePrefix}<image> targets; rename it.");
        }
    }

    /// <summary>The images without children: building them builds the whole graph.</summary>
    public static IEnumerable<ImageSpec> Leaves(ImageGraph graph) =>
        graph.Images.Where(i => !graph.Images.Any(c => c.Parent == i.Name));
}
