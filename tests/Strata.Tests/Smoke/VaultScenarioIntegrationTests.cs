using Strata.Engine;
using Strata.Graph;
using Strata.Smoke;
using Strata.Tests.Support;
using Strata.Tools;
using Xunit.Abstractions;

namespace Strata.Tests.Smoke;

/// <summary>
/// The real vault scenario (smoke/vault, run by VaultMachine) on the real base image, in whatever runtime this
/// host offers (privileged container, near-privileged container, or User-Mode Linux where the
/// kernel has no device-mapper); on a base whose vault ignores Ctrl+C, which it must catch; proof
/// reuse by fingerprint; and no process or folder left behind by a run that is stopped.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class VaultScenarioIntegrationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DockerEngine _docker = new();
    private readonly TempRepo _temp = new();
    private readonly List<string> _builtTags = [];
    private ImageGraph _graph = null!;
    private string _baseRef = "";

    public async Task InitializeAsync()
    {
        _graph = GraphLoader.Load(Path.Combine(RepositoryRoot.Find(), "strata.yaml"));
        _baseRef = await RealChain.BuildAsync(_docker, "base", output.WriteLine);
    }

    public async Task DisposeAsync()
    {
        foreach (var tag in _builtTags) await _docker.Images.RemoveImageAsync(Strata.Oci.ImageReference.Parse(tag));
        _temp.Dispose();
    }

    private SmokeOptions Options() => new()
    {
        Images = _docker.Images,
        Containers = _docker.Containers,
        ReportDirectory = _temp.Path("smoke"),
        VaultProofDirectory = _temp.Path("vault-proofs"),
    };

    private async Task<SmokeResult> SmokeAsync(string imageRef)
    {
        // Only the Gemini CLI is pinned without GitHub; base installs none of those binaries here.
        var tools = new ToolSet("tools.yaml", []);
        return await SmokeSuite.RunAsync(_graph, "base", Strata.Oci.ImageReference.Parse(imageRef), tools, ToolLock.Empty, Options(), output.WriteLine);
    }

    private async Task<string> BuildChildAsync(string name, string instructions)
    {
        var tag = $"strata-vault-test/{name}:{Guid.NewGuid():N}"[..^20];
        var dockerfile = $"FROM {_baseRef}\n{instructions}\n";
        await EngineFixture.BuildDockerfileAsync(_docker, tag, dockerfile);
        _builtTags.Add(tag);
        return tag;
    }

    private static IEnumerable<CheckResult> VaultChecks(SmokeResult result) =>
        result.Checks.Where(c => c.Name.StartsWith(GeneratedChecks.Vault + ":", StringComparison.Ordinal));

    private static string ScenarioDirectory => Path.Combine(RepositoryRoot.Find(), "smoke", "vault");

    [Fact]
    [Trait("Lane", "vault-proof")]
    public async Task The_real_vault_is_proved_on_base_and_a_child_with_the_same_fingerprint_reuses_the_proof()
    {
        var result = await SmokeAsync(_baseRef);

        Assert.True(result.Passed, "failures:\n" + string.Join("\n", result.Failures.Select(f => $"{f.Name}: {f.Message}")));
        Assert.False(string.IsNullOrWhiteSpace(result.VaultRuntime));
        Assert.DoesNotContain("none", result.VaultRuntime);
        Assert.DoesNotContain("reused", result.VaultRuntime);
        var vault = VaultChecks(result).ToList();
        Assert.True(vault.Count >= 30, $"only {vault.Count} vault checks ran");
        foreach (var expected in new[]
                 {
                     "SIGINT", "wrong passphrase", "dm-crypt", "plaintext", "non-interactive", "argv", "ramfs", "luksDump",
                     "core", "two unlocks at once", "two mount namespaces", "mount namespace ends", "root's too", "--erase", "only in RAM",
                 })
            Assert.Contains(vault, c => c.Name.Contains(expected, StringComparison.OrdinalIgnoreCase));
        var junit = await File.ReadAllTextAsync(_temp.Path("smoke/base.xml"));
        Assert.Contains(result.VaultRuntime!, junit);

        // A child that changes nothing the vault runs: the proof is reused, and every result says so.
        var child = await BuildChildAsync("unrelated", "USER root\nRUN mkdir -p /opt/unrelated && echo x >/opt/unrelated/file\nUSER dev");
        var reused = await SmokeAsync(child);
        Assert.True(reused.Passed, "failures:\n" + string.Join("\n", reused.Failures.Select(f => $"{f.Name}: {f.Message}")));
        Assert.Contains($"(reused from base {_baseRef}, found in the local cache", reused.VaultRuntime);
        Assert.Equal(vault.Select(c => c.Name), VaultChecks(reused).Select(c => c.Name));
        Assert.All(VaultChecks(reused), c => Assert.Contains($"reused the vault proof of image 'base' ({_baseRef})", c.Message));
    }

    [Theory]
    [InlineData("ENV STRATA_EXTRA=1")]                                                         // the image's environment
    [InlineData("RUN echo 'alias x=y' >>/home/dev/.bashrc.d/10-tools.sh")]                     // a bash start-up file
    [InlineData("USER root\nRUN echo 'Defaults !use_pty' >/etc/sudoers.d/zz && chmod 0440 /etc/sudoers.d/zz\nUSER dev")] // sudoers
    public async Task Any_change_to_what_the_vault_runs_changes_its_proof_key(string instructions)
    {
        var child = await BuildChildAsync("changed", instructions);
        var check = new ScenarioCheck(GeneratedChecks.Vault, CheckResult.Generated, ScenarioDirectory, TimeSpan.FromMinutes(1), _temp.Path("vault-proofs"));

        var parentKey = await ProofKeyAsync(check, _baseRef);
        var childKey = await ProofKeyAsync(check, child);

        Assert.NotNull(parentKey);
        Assert.NotNull(childKey);
        Assert.NotEqual(parentKey, childKey);
        Assert.Equal(parentKey, await ProofKeyAsync(check, _baseRef)); // and the key is stable
    }

    private async Task<string?> ProofKeyAsync(ScenarioCheck check, string imageRef)
    {
        var name = $"strata-vault-fp-{Guid.NewGuid():N}"[..^16];
        var container = await _docker.Containers.StartContainerAsync(name, Strata.Oci.ImageReference.Parse(imageRef), new ContainerOptions { ReplaceEntrypoint = true }, ["sleep", "infinity"]);
        try
        {
            var context = new SmokeContext(_docker.Images, _docker.Containers, container, "base", Strata.Oci.ImageReference.Parse(imageRef), "dev", new Dictionary<string, string>(), Options());
            var (key, error) = await check.ProofKeyAsync(context, CancellationToken.None);
            Assert.True(key is not null, error);
            return key;
        }
        finally
        {
            await _docker.Containers.RemoveContainerAsync(container);
        }
    }

    [Fact]
    [Trait("Lane", "vault-proof")]
    public async Task A_vault_that_ignores_ctrl_c_is_caught_by_the_sigint_checks()
    {
        // The bash vault of before issue 28 (kept as this test's fixture; the image carries the program) with its
        // SIGINT trap replaced by "ignore": the bug of the first vault. The override is written over the image's
        // program: the scenario judges whatever runs as `vault`.
        // Only the fail-closed checks run (--only): the others have nothing to do with signals.
        var vault = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Find(), "tests", "Strata.Tests", "Smoke", "vault-script-before-issue28"));
        const string trap = "\n  trap 'on_signal INT' INT\n";
        Assert.Contains(trap, vault);
        _temp.Write("vault-ignores-sigint", vault.Replace(trap, "\n  trap '' INT\n", StringComparison.Ordinal), executable: true);

        var run = await VaultMachine.RunAsync(_docker.Images, _docker.Containers, new VaultRun(Strata.Oci.ImageReference.Parse(_baseRef), "dev", ScenarioDirectory, TimeSpan.FromMinutes(10))
        {
            VaultOverride = _temp.Path("vault-ignores-sigint"),
            Only = "fails closed|closes that shell",
        }, output.WriteLine);

        Assert.Equal(1, run.ExitCode);
        var lines = run.StdOut.Split('\n').Where(l => l.StartsWith("ok - ", StringComparison.Ordinal) || l.StartsWith("not ok - ", StringComparison.Ordinal)).ToList();
        var failed = lines.Where(l => l.StartsWith("not ok - ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, failed.Count);
        Assert.All(failed, l => Assert.Contains("Ctrl+C", l));
        Assert.Contains(failed, l => l.Contains("SIGINT", StringComparison.Ordinal));
        // The other ways out (mismatch, EOF, SIGTERM) still fail closed: caught for the right reason.
        Assert.Equal(3, lines.Count(l => l.StartsWith("ok - ", StringComparison.Ordinal) && l.Contains("fails closed", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("fail", VaultRuntime.Auto)]
    [InlineData("timeout", VaultRuntime.Auto)]
    [InlineData("cancel", VaultRuntime.Auto)]
    [InlineData("cancel", VaultRuntime.Vm)] // (its own timeout path is the one GuestMachine runs for both machines: not run twice, for CI's time)
    [Trait("Lane", "vault-proof")] // (about 120 s of machines booted)
    public async Task A_run_leaves_no_process_no_folder_and_no_container_whatever_its_end(string how, VaultRuntime runtime)
    {
        // A short failure (one check), the run's own limit, and a cancellation (Strata's backstop, or Ctrl+C)
        // while the machine under test runs: in the runtime auto picks here, and in a virtual machine (QEMU and
        // its disk image). A pass ends as a failure does (the scenario's verdict, then the script's own clean-up);
        // the passing runs of VaultVmIntegrationTests assert the same of it, for CI's time.
        var tmp = Directory.CreateDirectory(_temp.Path("tmp")).FullName;
        // base under a tag of this run's own: the containers' label names it, so another lane's vault run on base is not counted.
        var imageRef = $"strata-vault-test/leftovers:{Guid.NewGuid():N}"[..^20];
        await _docker.Images.TagAsync(Strata.Oci.ImageReference.Parse(_baseRef), Strata.Oci.ImageReference.Parse(imageRef));
        _builtTags.Add(imageRef);
        var run = new VaultRun(Strata.Oci.ImageReference.Parse(imageRef), "dev", ScenarioDirectory, TimeSpan.FromMinutes(5))
        {
            TempRoot = tmp, Only = "locked at start", Runtime = runtime, KernelCache = VmKernels.Cache,
        };
        run = how switch
        {
            "fail" => run with { User = "nosuchuser" },
            "timeout" => run with { Only = null, Timeout = TimeSpan.FromSeconds(30) },
            "cancel" => run with { Only = null },
            _ => run,
        };
        using var cancel = new CancellationTokenSource();
        var started = false;
        var seen = new List<string>();
        void Progress(string line)
        {
            output.WriteLine(line);
            lock (seen) seen.Add(line);
            // Cancel once the machine under test runs (a linux.uml, a QEMU, or a container) and has had time to get going.
            if (how == "cancel" && !started && line.StartsWith(ScenarioCheck.RuntimePrefix, StringComparison.Ordinal))
            {
                started = true;
                cancel.CancelAfter(TimeSpan.FromSeconds(5));
            }
        }

        ScenarioOutput? result = null;
        if (how == "cancel")
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => VaultMachine.RunAsync(_docker.Images, _docker.Containers, run, Progress, cancel.Token));
        else
            result = await VaultMachine.RunAsync(_docker.Images, _docker.Containers, run, Progress, cancel.Token);

        if (how == "cancel") Assert.True(started, "the machine under test never started");
        else Assert.NotEqual(0, result!.ExitCode);
        if (how == "fail") Assert.Contains("not ok - ", result!.StdOut);
        if (how == "timeout") Assert.True(result!.TimedOut || result.StdOut.Contains("not ok - vault scenario finished in time", StringComparison.Ordinal),
            result.StdOut);
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
        Assert.DoesNotContain(tmp, await File.ReadAllTextAsync("/proc/self/mounts"));
        Assert.Empty(ProcessList.Mentioning(tmp));
        if (runtime == VaultRuntime.Vm) Assert.Contains("# runtime: virtual machine: qemu-system-", string.Join("\n", seen));
        Assert.Empty(await _docker.Containers.ListContainersAsync($"{VaultMachine.ContainerLabel}={imageRef}"));
    }
}
