using Strata.Graph;
using Strata.Keys;
using Strata.Reporting;

namespace Strata.Smoke;

/// <summary>
/// Remembers that an image passed its smoke tests. A proof is keyed by the image's content key and
/// everything that defines the checks (the lineage's specs, the vault scenario, tools.yaml and the
/// lock), so an unchanged image under unchanged checks is not tested again, and any change is.
/// </summary>
public sealed class SmokeProof(string directory)
{
    public static string Key(ImageGraph graph, string image, string imageKey, SmokeOptions options, IEnumerable<string> extraFiles)
    {
        using var key = new KeyBuilder().Add("image-key", imageKey);
        var specs = graph.Lineage(image)
            .Select(i => Path.Combine(options.SpecDirectory, i.Name + SmokeSpecLoader.Suffix))
            .Where(p => File.Exists(Path.Combine(graph.RootDirectory, p)));
        var vaultDir = Path.GetDirectoryName(options.VaultScript);
        string[] inputs = [.. specs, .. extraFiles.Where(p => File.Exists(Path.Combine(graph.RootDirectory, p)))];
        if (!string.IsNullOrEmpty(vaultDir) && Directory.Exists(Path.Combine(graph.RootDirectory, vaultDir))) inputs = [.. inputs, vaultDir];
        key.AddFiles("check-input", InputSet.Collect(graph.RootDirectory, inputs, graph.Exclude));
        return key.Finish();
    }

    public bool IsProven(string proofKey) => File.Exists(PathOf(proofKey));

    public void Record(string proofKey, SmokeResult result) =>
        ReportFiles.WriteAtomically(PathOf(proofKey),
            $"{result.Image} {result.ImageRef}: {result.PassedCount} checks passed; vault runtime: {result.VaultRuntime ?? "none"}\n");

    private string PathOf(string proofKey) => Path.Combine(directory, proofKey);
}
