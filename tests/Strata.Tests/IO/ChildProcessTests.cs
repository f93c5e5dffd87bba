using Strata.IO;
using Strata.Tests.Support;

namespace Strata.Tests.IO;

/// <summary>Child programs stopped on cancellation, whatever they do with SIGTERM (uml.sh's runner, the docker CLI).</summary>
public sealed class ChildProcessTests : IDisposable
{
    private readonly TempRepo _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_program_that_ignores_SIGTERM_is_killed_with_its_children_after_the_grace()
    {
        // What uml.sh is to a run whose limit passes: SIGTERM, and its whole tree once the grace is over.
        var marker = Guid.NewGuid().ToString("N");
        _temp.Write("hang.sh", $"#!/bin/sh\necho started\ntrap '' TERM\nsh -c 'sleep 1000; :' {marker} &\nwait\n", executable: true);
        var lines = new List<string>();
        using var cancel = new CancellationTokenSource();
        var run = ChildProcess.RunAsync(_temp.Path("hang.sh"), [],
            line => { lock (lines) lines.Add(line); if (line == "started") cancel.CancelAfter(200); }, _ => { }, cancel.Token,
            stopGrace: TimeSpan.FromSeconds(1));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Contains("started", lines);
        Assert.Empty(ProcessList.Mentioning(marker));
    }
}
