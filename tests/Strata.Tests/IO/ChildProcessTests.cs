using Strata.IO;
using Strata.Tests.Support;

namespace Strata.Tests.IO;

/// <summary>Child programs stopped on cancellation, whatever they do with SIGTERM (a vault machine, the docker CLI).</summary>
public sealed class ChildProcessTests : IDisposable
{
    private readonly TempRepo _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_program_that_ignores_SIGTERM_is_killed_with_its_children_after_the_grace()
    {
        // A program stopped with a grace: SIGTERM, and its whole tree once the grace is over.
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_program_in_a_process_group_of_its_own_takes_the_whole_group_with_it_however_it_ends(bool cancelled)
    {
        // What linux.uml is to a vault run: it starts processes that can leave its tree (their parent ends) and still
        // hold its output open. Whether it ends by itself or is stopped, none of them is left, and the run returns.
        // It leads its own group and reads /dev/null (a console on a closed pipe hangs up).
        var marker = Guid.NewGuid().ToString("N");
        _temp.Write("machine.sh", $"#!/bin/sh\n(sh -c 'sleep 1000; :' {marker} &)\necho \"started $$ $(cut -d' ' -f5 /proc/$$/stat) $(readlink /proc/$$/fd/0)\"\n" +
                                  $"{(cancelled ? "sleep 1000" : "exit 3")}\n", executable: true);
        using var cancel = new CancellationTokenSource();
        var lines = new List<string>();
        var run = ChildProcess.RunAsync(_temp.Path("machine.sh"), [], line =>
            {
                lock (lines) lines.Add(line);
                if (line.StartsWith("started", StringComparison.Ordinal)) cancel.CancelAfter(200);
            }, _ => { }, cancelled ? cancel.Token : CancellationToken.None, ownProcessGroup: true);

        if (cancelled) await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        else Assert.Equal(3, await run.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Empty(ProcessList.Mentioning(marker));
        var started = Assert.Single(lines).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(started[1], started[2]); // its pid is its group's id
        Assert.Equal("/dev/null", started[3]);
    }

    [Fact]
    public async Task A_stdout_reader_gets_the_bytes_exactly_and_a_failing_one_stops_the_program()
    {
        // What tar is to the base OS import: a binary stream, NULs and CRs included.
        var bytes = new MemoryStream();
        var exitCode = await ChildProcess.RunAsync("printf", [@"a\000b\r\n\377"], null, _ => { }, CancellationToken.None,
            readStdout: (stdout, ct) => stdout.CopyToAsync(bytes, ct));
        Assert.Equal(0, exitCode);
        Assert.Equal(new byte[] { (byte)'a', 0, (byte)'b', (byte)'\r', (byte)'\n', 0xff }, bytes.ToArray());

        // A reader that fails (the engine refused the import) stops the program; its failure is the one seen.
        var marker = Guid.NewGuid().ToString("N");
        var run = ChildProcess.RunAsync("sh", ["-c", "yes; :", marker], null, _ => { }, CancellationToken.None,
            readStdout: async (stdout, ct) =>
            {
                await stdout.ReadExactlyAsync(new byte[4], ct);
                throw new IOException("the import was refused");
            });
        var e = await Assert.ThrowsAsync<IOException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("the import was refused", e.Message);
        Assert.Empty(ProcessList.Mentioning(marker));
    }
}
