using System.Globalization;
using Strata.IO;

namespace Strata.TestRun;

/// <summary>
/// One test process of the test target: the tests its filter selects, at its CPU priority (nice, -20 first in line to
/// 19 last). A negative nice needs root: elsewhere the lane runs at 0.
/// </summary>
public sealed record TestLane(string Filter, int Nice)
{
    public int NiceFor(bool root) => root ? Nice : Math.Max(Nice, 0);

    /// <summary>Its own TRX folder under the run's results: the filter, with '!' and '=' as '-'.</summary>
    public string ResultsFolder => Filter.Replace('!', '-').Replace('=', '-');
}

/// <summary>
/// The test target (--target=test): the suite is built once, then run as the <see cref="Lanes"/> side by side, and the
/// run closes with the "N passed, N failed, N skipped" line CI reads, counted from every lane's TRX files.
/// </summary>
public static class TestLanes
{
    /// <summary>
    /// Three lanes, about a third of the time each: the vault proofs (trait Lane=vault-proof: the whole scenario, minutes
    /// under User-Mode Linux or an emulated VM, on about one core, and the clean-up runs), the tests that release or push
    /// into a registry (trait Lane=registry), and everything else. The suite waits on the engine, the registry and the
    /// machines as much as it computes (two thirds of two cores busy with two lanes), so a third lane fills the gaps. The
    /// vault proofs are first in line for the CPU (User-Mode Linux slows down far more than the load rises), the others
    /// behind them. Within a lane tests run one at a time; the lanes share the engine, each has its own test registry,
    /// and they build the base OS and the real chain under cross-process locks.
    /// </summary>
    public static readonly IReadOnlyList<TestLane> Lanes =
    [
        new("Lane=vault-proof", Nice: -10),
        new("Lane=registry", Nice: 10),
        new("Lane!=vault-proof&Lane!=registry", Nice: 10),
    ];

    public const string Solution = "Strata.slnx";

    /// <summary>The lane's filter, narrowed by the one given on the command line (--filter=EXPR).</summary>
    public static string FilterOf(TestLane lane, string? given) => given is { Length: > 0 } ? $"({given})&({lane.Filter})" : lane.Filter;

    /// <summary>The command line of one lane: nice, then dotnet test on the built suite, TRX into the lane's folder.</summary>
    public static IReadOnlyList<string> Arguments(TestLane lane, string? filter, string resultsDirectory, bool root) =>
    [
        "-n", lane.NiceFor(root).ToString(CultureInfo.InvariantCulture),
        "dotnet", "test", Solution, "--configuration", "Release", "--no-build", "--no-restore",
        "--results-directory", Path.Combine(resultsDirectory, lane.ResultsFolder),
        "--logger", "trx", "--logger", "console;verbosity=normal",
        "--filter", FilterOf(lane, filter),
    ];

    /// <summary>
    /// Builds the suite (Release), runs the lanes side by side, writes the summary line, and throws
    /// <see cref="TestRunFailedException"/> when a lane failed or nothing passed. Results go to
    /// artifacts/test-results (emptied first). Output lines, both processes', go to <paramref name="write"/>.
    /// </summary>
    public static async Task<TestSummary> RunAsync(string repositoryRoot, string? filter, Action<string> write, CancellationToken ct = default)
    {
        var results = Path.Combine(repositoryRoot, "artifacts", "test-results");
        if (Directory.Exists(results)) Directory.Delete(results, recursive: true);
        var built = await ChildProcess.RunAsync("dotnet", ["build", Solution, "--configuration", "Release"], write, write, ct,
            workingDirectory: repositoryRoot);
        if (built != 0) throw new TestRunFailedException($"the test suite did not build: dotnet build exited {built} (see above)");

        var root = Environment.UserName == "root";
        var exits = await Task.WhenAll(Lanes.Select(async lane => (lane, exit: await ChildProcess.RunAsync("nice",
            Arguments(lane, filter, results, root), write, write, ct, stopGrace: TimeSpan.FromSeconds(30), workingDirectory: repositoryRoot))));
        var failures = exits.Where(e => e.exit != 0).Select(e => $"{e.lane.Filter}: dotnet test exited {e.exit}").ToList();

        var summary = TestSummary.FromTrxDirectory(results);
        write(summary.ToString());
        if (failures.Count > 0 || !summary.Succeeded)
            throw new TestRunFailedException("the test suite failed (see above)" + (failures.Count == 0 ? "" : ": " + string.Join("; ", failures)));
        return summary;
    }
}

public sealed class TestRunFailedException(string message) : Exception(message);
