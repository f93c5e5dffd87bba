// test: the whole test suite (unit, and integration on the real engine), closing with the
// "N passed, N failed, N skipped" line CI reads, counted from the TRX results. --filter=EXPR runs
// only what a dotnet test filter selects: --filter='Needs!=Engine' is the lane without an engine.
using Strata.Pipeline;
using Strata.Reporting;

Task(Targets.Test)
    .Description("Run the test suite and print N passed, N failed (--filter=EXPR: a dotnet test filter)")
    .Does(() =>
    {
        var results = System.IO.Path.Combine(options.ArtifactsDirectory, "test-results");
        if (System.IO.Directory.Exists(results)) System.IO.Directory.Delete(results, recursive: true);
        Exception runnerFailure = null;
        try
        {
            DotNetTest("Strata.slnx", new DotNetTestSettings
            {
                Configuration = "Release",
                ResultsDirectory = results,
                Loggers = new[] { "trx", "console;verbosity=normal" },
                Filter = options.TestFilter,
            });
        }
        catch (Exception e) { runnerFailure = e; }

        var summary = TestSummary.FromTrxDirectory(results);
        Console.WriteLine(summary);
        if (runnerFailure is not null || !summary.Succeeded)
            throw new Exception("the test suite failed (see above)", runnerFailure);
    });
