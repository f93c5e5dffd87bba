using System.Diagnostics;
using Strata.Engine;
using Strata.Tests.Support;
using Xunit.Abstractions;

namespace Strata.Tests.Pipeline;

/// <summary>
/// A stopped run: the real `./build.sh` (the Cake script) turns SIGTERM (and Ctrl+C's SIGINT, the same handler) into
/// cancellation, so the vault run in progress stops its machine and removes its temp folder (the exported image)
/// instead of the process dying and leaving them. The machine is a stand-in linux.uml that passes the probe and then
/// never ends. SIGTERM, because a process started in the background of a non-interactive shell (CI) inherits
/// SIGINT ignored, and .NET then leaves it ignored.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class SignalIntegrationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DockerEngine _docker = new();
    private readonly TempRepo _temp = new();

    public async Task InitializeAsync() => await RealChain.BuildAsync(_docker, "base", output.WriteLine);

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    [Trait("Lane", "vault-proof")]
    public async Task A_signal_during_a_vault_run_stops_its_machine_and_leaves_no_temp_folder()
    {
        // Its version is the real one's (uml.sh finds the modules by it); the probe passes; the run never ends.
        var uml = Strata.IO.Executables.Find("linux.uml") ?? throw new InvalidOperationException("linux.uml is not installed");
        _temp.Write("bin/linux.uml", $"#!/bin/sh\ncase \" $* \" in *' --version '*) exec {uml} --version ;; *strata-uml-probe*) echo '@@STRATA-UML-PROBE@@ init runs'; exit 0 ;; esac\n" +
                                     "while :; do sleep 1; done\n", executable: true);
        var tmp = Directory.CreateDirectory(_temp.Path("tmp")).FullName;
        var start = new ProcessStartInfo(Path.Combine(RepositoryRoot.Find(), "build.sh"))
        {
            WorkingDirectory = RepositoryRoot.Find(), RedirectStandardOutput = true, RedirectStandardError = true,
            Environment = { ["PATH"] = _temp.Path("bin") + ":" + Environment.GetEnvironmentVariable("PATH"), ["TMPDIR"] = tmp },
        };
        foreach (var arg in new[] { "--target=vault-scenario", "--skip-tools", "--vault-runtime=uml", "--vault-checks=locked at start" })
            start.ArgumentList.Add(arg);
        var lines = new List<string>();
        var booted = new TaskCompletionSource();
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (lines) lines.Add(line);
            output.WriteLine(line);
            if (line.Contains("# booting linux.uml", StringComparison.Ordinal)) booted.TrySetResult();
        }

        using var run = Process.Start(start)!;
        run.OutputDataReceived += (_, e) => OnLine(e.Data);
        run.ErrorDataReceived += (_, e) => OnLine(e.Data);
        run.BeginOutputReadLine();
        run.BeginErrorReadLine();
        try
        {
            await booted.Task.WaitAsync(TimeSpan.FromMinutes(3));
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.NotEmpty(ProcessList.Mentioning(tmp)); // the machine runs, on the image unpacked under TMPDIR
            using (var kill = Process.Start("kill", ["-TERM", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
                await kill.WaitForExitAsync();
            await run.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        }
        finally
        {
            if (!run.HasExited) run.Kill(entireProcessTree: true);
            foreach (var left in ProcessList.Mentioning(tmp)) // (a failure here must not leave the stand-in running: it has its own session)
                try { Process.GetProcessById(int.Parse(left.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture)).Kill(); } catch (ArgumentException) { }
        }

        Assert.NotEqual(0, run.ExitCode);
        lock (lines) Assert.Contains(lines, l => l.Contains("strata: SIGTERM: stopping and cleaning up", StringComparison.Ordinal));
        Assert.Empty(ProcessList.Mentioning(tmp));
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp, "strata-*")); // (dotnet keeps its own scratch folders there)
    }
}
