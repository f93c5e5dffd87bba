// test: the whole test suite (unit and integration on the real engine), with a closing
// "N passed, N failed, N skipped" line computed from the TRX results.
Task("test")
    .Description("Run the test suite and print N passed, N failed")
    .Does(() =>
    {
        var results = System.IO.Path.Combine(strata.ArtifactsDirectory, "test-results");
        if (System.IO.Directory.Exists(results)) System.IO.Directory.Delete(results, recursive: true);
        var failed = false;
        try
        {
            DotNetTest("Strata.slnx", new DotNetTestSettings
            {
                Configuration = "Release",
                ResultsDirectory = results,
                Loggers = new[] { "trx", "console;verbosity=normal" },
            });
        }
        catch (Exception)
        {
            failed = true;
        }

        int passed = 0, failures = 0, skipped = 0;
        foreach (var trx in System.IO.Directory.EnumerateFiles(results, "*.trx", System.IO.SearchOption.AllDirectories))
        {
            var counters = System.Xml.Linq.XDocument.Load(trx).Descendants().First(e => e.Name.LocalName == "Counters");
            int Count(string name) => int.Parse(counters.Attribute(name)?.Value ?? "0");
            passed += Count("passed");
            failures += Count("failed") + Count("error") + Count("timeout") + Count("aborted");
            skipped += Count("notExecuted");
        }
        Console.WriteLine($"{passed} passed, {failures} failed, {skipped} skipped");
        if (failed || failures > 0 || passed == 0) throw new Exception("the test suite failed (see above)");
    });
