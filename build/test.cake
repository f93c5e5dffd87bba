// test: the whole test suite (unit, and integration on the real engine), closing with the "N passed, N failed, N skipped"
// line CI reads, counted from the TRX results. --filter=EXPR runs only what a dotnet test filter selects:
// --filter='Needs!=Engine' is the lane without an engine. The suite runs as test lanes side by side: see
// src/Strata.TestRun/TestLanes.cs (their filters and CPU priorities).
using Strata.Pipeline;
using Strata.TestRun;

Task(Targets.Test)
    .Description("Run the test suite and print N passed, N failed (--filter=EXPR: a dotnet test filter)")
    .Does(async () => await TestLanes.RunAsync(options.RepositoryRoot, TestVerbOptions.From(arguments).Filter, line => Console.WriteLine(line), stopping));
