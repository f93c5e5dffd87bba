// test: the whole test suite (unit, and integration on the real engine), closing with the
// "N passed, N failed, N skipped" line CI reads, counted from the TRX results. --filter=EXPR runs
// only what a dotnet test filter selects: --filter='Needs!=Engine' is the lane without an engine.
//
// The suite is built once, then run as two test processes side by side (lanes): the vault proofs
// (trait Lane=vault-proof: the whole scenario, minutes under User-Mode Linux or an emulated VM, on
// about one core, and the clean-up runs) and everything else, each about half of the time. Two, not more: User-Mode Linux slows down far more than the
// load on a 2-core machine. Within a lane tests run one at a time; the lanes share the engine and
// build the base OS and the real chain under cross-process locks.
using Strata.Pipeline;
using Strata.Reporting;

Task(Targets.Test)
    .Description("Run the test suite and print N passed, N failed (--filter=EXPR: a dotnet test filter)")
    .Does(() =>
    {
        var results = System.IO.Path.Combine(options.ArtifactsDirectory, "test-results");
        if (System.IO.Directory.Exists(results)) System.IO.Directory.Delete(results, recursive: true);
        DotNetBuild("Strata.slnx", new DotNetBuildSettings { Configuration = "Release" });

        // The vault proofs are the long pole, and User-Mode Linux slows far more than the load: they run
        // first in line for the CPU (nice -10 as root, else 0), everything else behind them (nice 10).
        var root = Environment.UserName == "root";
        var lanes = new[] { (Filter: "Lane=vault-proof", Nice: root ? -10 : 0), (Filter: "Lane!=vault-proof", Nice: 10) };
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        System.Threading.Tasks.Parallel.ForEach(lanes, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = lanes.Length }, lane =>
        {
            var filter = options.TestFilter is { Length: > 0 } given ? $"({given})&({lane.Filter})" : lane.Filter;
            var args = new ProcessArgumentBuilder()
                .Append("-n").Append(lane.Nice.ToString())
                .Append("dotnet").Append("test").Append("Strata.slnx").Append("--configuration").Append("Release")
                .Append("--no-build").Append("--no-restore")
                .Append("--results-directory").AppendQuoted(System.IO.Path.Combine(results, lane.Filter.Replace('!', '-').Replace('=', '-')))
                .Append("--logger").Append("trx").Append("--logger").AppendQuoted("console;verbosity=normal")
                .Append("--filter").AppendQuoted(filter);
            var exit = StartProcess("nice", new ProcessSettings { Arguments = args });
            if (exit != 0) failures.Add($"{lane.Filter}: dotnet test exited {exit}");
        });

        var summary = TestSummary.FromTrxDirectory(results);
        Console.WriteLine(summary);
        if (!failures.IsEmpty || !summary.Succeeded)
            throw new Exception("the test suite failed (see above)" + (failures.IsEmpty ? "" : ": " + string.Join("; ", failures)));
    });
