// test: the whole test suite (unit, and integration on the real engine), closing with the
// "N passed, N failed, N skipped" line CI reads, counted from the TRX results. --filter=EXPR runs
// only what a dotnet test filter selects: --filter='Needs!=Engine' is the lane without an engine.
//
// The suite is built once, then run as two test processes side by side (lanes): the vault proofs
// (trait Lane=vault-proof: the whole scenario, minutes under User-Mode Linux or an emulated VM, on
// about one core) and everything else. Two, not more: User-Mode Linux slows down far more than the
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

        var lanes = new[] { "Lane=vault-proof", "Lane!=vault-proof" };
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        System.Threading.Tasks.Parallel.ForEach(lanes, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = lanes.Length }, lane =>
        {
            try
            {
                DotNetTest("Strata.slnx", new DotNetTestSettings
                {
                    Configuration = "Release",
                    NoBuild = true,
                    NoRestore = true,
                    ResultsDirectory = System.IO.Path.Combine(results, lane.Replace('!', '-').Replace('=', '-').Replace('&', '_')),
                    Loggers = new[] { "trx", "console;verbosity=normal" },
                    Filter = options.TestFilter is { Length: > 0 } filter ? $"({filter})&({lane})" : lane,
                });
            }
            catch (Exception e) { failures.Add(e); }
        });

        var summary = TestSummary.FromTrxDirectory(results);
        Console.WriteLine(summary);
        if (!failures.IsEmpty || !summary.Succeeded)
            throw new Exception("the test suite failed (see above)", failures.FirstOrDefault());
    });
