using System.Diagnostics;
using System.Text.RegularExpressions;
using Strata.IO;
using Strata.Smoke;
using Strata.Tests.Support;
using Xunit.Abstractions;

namespace Strata.Tests.Smoke;

/// <summary>
/// The User-Mode Linux probe boot tells a crash from a starved or slow boot: the real linux.uml is kept on a machine
/// kept busy by CPU hogs; a boot that ends before its init without a panic (as under load: "zswap: pool creation failed",
/// exit 0) is tried again, and passed over only as a reason that may not last; a crash (a panic, SIGSEGV at init, as on
/// Intel Sapphire Rapids) is final at once. The guest's root is a few host programs (no image, no engine).
/// </summary>
public sealed partial class UmlProbeTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempRepo _temp = new();
    private readonly List<string> _notes = [];

    public void Dispose() => _temp.Dispose();

    /// <summary>A root the probe's init runs in: the host's dash as /bin/sh, mount and sleep, and their libraries.</summary>
    private GuestRoot SmallRoot()
    {
        var root = _temp.Path("run/root");
        foreach (var (path, source) in new[] { ("/bin/sh", "/bin/dash"), ("/bin/mount", "/bin/mount"), ("/bin/sleep", "/bin/sleep") })
        {
            Copy(source, root + path);
            var ldd = Process.Start(new ProcessStartInfo("ldd", [source]) { RedirectStandardOutput = true })!;
            foreach (Match m in LibraryPath().Matches(ldd.StandardOutput.ReadToEnd())) Copy(m.Groups[1].Value, root + m.Groups[1].Value);
            ldd.WaitForExit();
        }
        Directory.CreateDirectory(Path.Combine(root, "proc"));
        return GuestRoot.Unpacked(_temp.Path("run"), new VaultRunOutput(Note));

        static void Copy(string from, string to)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(new FileInfo(from).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? from, to, overwrite: true);
        }
    }

    [GeneratedRegex(@"(?:=> |^\s*)(/\S+) \(0x", RegexOptions.Multiline)]
    private static partial Regex LibraryPath();

    private void Note(string line)
    {
        output.WriteLine(line);
        lock (_notes) _notes.Add(line);
    }

    /// <summary>A stand-in linux.uml: each boot is counted; boot N runs the Nth of <paramref name="boots"/> ("real" execs the real one).</summary>
    private string StandIn(params string[] boots)
    {
        var real = Executables.Find("linux.uml", null) ?? throw new InvalidOperationException("linux.uml is not installed (apt-get install user-mode-linux)");
        var cases = string.Join("", boots.Select((b, i) => $"  {i + 1}) {(b == "real" ? $"exec {real} \"$@\"" : b)} ;;\n"));
        _temp.Write("bin/linux.uml", $"#!/bin/sh\necho x >>\"{_temp.Path("boots")}\"\ncase $(wc -l <\"{_temp.Path("boots")}\") in\n{cases}esac\nexit 99\n",
            executable: true);
        return _temp.Path("bin") + ":" + Environment.GetEnvironmentVariable("PATH");
    }

    private int Boots => File.Exists(_temp.Path("boots")) ? File.ReadAllLines(_temp.Path("boots")).Length : 0;

    private const string Starved = "echo 'zswap: pool creation failed'; exit 0";
    private const string Crash = "echo 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b'; kill -SEGV $$";

    private async Task<RuntimeUnavailable?> ProbeAsync(string searchPath)
    {
        await using var root = SmallRoot();
        return await new UmlRuntime().ProbeAsync(root, new VaultRun(Strata.Oci.ImageReference.Parse("unused"), "dev", "unused", TimeSpan.FromMinutes(5)) { SearchPath = searchPath },
            new VaultRunOutput(Note), CancellationToken.None);
    }

    [Fact]
    public async Task The_real_linux_uml_is_kept_while_cpu_hogs_keep_the_machine_busy()
    {
        // A busy loop per core, each bounded in time, all killed when the probe is done (seconds).
        var hogs = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Process.Start("timeout", ["120", "sh", "-c", "while :; do :; done"])).ToList();
        try
        {
            var passed = await ProbeAsync(StandIn("real", "real", "real"));

            Assert.True(passed is null, passed?.ToString());
            Assert.Contains(_notes, n => n.Contains("User-Mode Linux passed its probe boot (init ran", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var hog in hogs)
            {
                try { hog.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                hog.WaitForExit();
                hog.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_boot_that_ends_before_its_init_without_a_panic_is_tried_again_not_judged_a_crash()
    {
        var passed = await ProbeAsync(StandIn(Starved, "real"));

        Assert.True(passed is null, passed?.ToString());
        Assert.Equal(2, Boots);
        Assert.Contains(_notes, n => n.Contains("User-Mode Linux ended before its init ran at probe boot 1 of 3 (exit 0, no panic; console: zswap: pool creation failed): " +
                                                "not a crash, a starved boot; trying again", StringComparison.Ordinal));
        Assert.Contains(_notes, n => n.Contains("User-Mode Linux passed its probe boot (init ran, at boot 2 of 3)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_boot_that_never_reaches_its_init_is_passed_over_for_a_reason_that_may_not_last()
    {
        var unavailable = await ProbeAsync(StandIn(Starved, Starved, Starved));

        Assert.NotNull(unavailable);
        Assert.Equal(3, Boots);
        Assert.True(unavailable.Transient);
        Assert.Equal("linux.uml ended before its init ran at 3 probe boots, without a crash (exit 0, no panic; console: zswap: pool creation failed): " +
                     "a starved boot (a loaded machine?), not a CPU it cannot run on; this may not last: a later run may use it", unavailable.Reason);
        Assert.Contains("run again when the machine is less loaded", unavailable.Fix);
    }

    [Fact]
    public async Task A_linux_uml_that_crashes_at_init_is_passed_over_at_once_for_good()
    {
        var unavailable = await ProbeAsync(StandIn(Crash, "real"));

        Assert.NotNull(unavailable);
        Assert.Equal(1, Boots);
        Assert.False(unavailable.Transient);
        Assert.Equal("linux.uml crashed at a probe boot before its init ran (killed by signal 11; console: Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b)",
            unavailable.Reason);
    }
}
