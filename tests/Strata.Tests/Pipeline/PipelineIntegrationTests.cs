using Strata.Oci;
using Strata.Images;
using Strata.Pipeline;
using Strata.Tests.Support;

namespace Strata.Tests.Pipeline;

/// <summary>
/// The pipeline's gates on the real engine, with the smallest graph that shows them: one image on
/// the chain's OS, no dotfiles layer, a smoke spec written per test.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class PipelineIntegrationTests : IAsyncLifetime
{
    private readonly EngineFixture _engine;
    private readonly TempRepo _repo = new();
    private readonly string _repository = "strata-it/pipeline-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _log = [];

    public PipelineIntegrationTests(EngineFixture engine)
    {
        _engine = engine;
        _repo.Write("Dockerfiles/Dockerfile.base", """
            ARG PARENT_IMAGE
            FROM ${PARENT_IMAGE}
            CMD ["true"]
            """);
    }

    public Task InitializeAsync()
    {
        _repo.Write("strata.yaml", $"""
            repository: {_repository}
            {_engine.BaseOsYaml()}
            images:
              - {"{"} name: base, dockerfile: Dockerfiles/Dockerfile.base {"}"}
            """);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.RemoveRepositoryAsync(_repository);
        _repo.Dispose();
    }

    /// <summary>A spec whose checks pass on the bare OS (it has no UTF-8 locale: that generated check is replaced), plus <paramref name="extra"/>.</summary>
    private void WriteSpec(string extra = "") => _repo.Write("Dockerfiles/base.smoke.yaml", $"""
        commands:
          - name: locale is UTF-8
            run: "true"
          - name: the OS release file is there
            run: test -f /etc/os-release
        {extra}
        """);

    private ImagePipeline NewPipeline(RunOptions? options = null) => new(
        (options ?? new RunOptions { RepositoryRoot = "", CacheDirectory = _repo.Path(".cache") }) with { RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache") },
        line => { lock (_log) _log.Add(line); }, _engine.Docker);

    private async Task<ImageId?> MovingTagIdAsync(ImagePipeline pipeline) =>
        (await _engine.Docker.Images.InspectImagesAsync([(await pipeline.OnlyRunAsync()).Plan.Get("base").MovingTag])).SingleOrDefault()?.Id;

    [Fact]
    public async Task An_image_that_was_never_proven_is_never_promoted()
    {
        WriteSpec();
        using var pipeline = NewPipeline();
        await (await pipeline.OnlyRunAsync()).Build.RunAsync("base");

        var e = await Assert.ThrowsAsync<PromotionRefusedException>(async () => await (await pipeline.OnlyRunAsync()).Prove.PromoteAsync("base"));

        Assert.Contains("has not passed its smoke tests", e.Message);
        Assert.Contains("--target=smoke-base", e.Message);
        Assert.Null(await MovingTagIdAsync(pipeline));
    }

    [Fact]
    public async Task A_failed_smoke_test_moves_no_tag_and_is_not_remembered()
    {
        WriteSpec("""
              - name: fails on purpose
                run: echo broken >&2; exit 3
            """);
        using var pipeline = NewPipeline();
        await (await pipeline.OnlyRunAsync()).Build.RunAsync("base");

        var e = await Assert.ThrowsAsync<SmokeFailedException>(async () => await (await pipeline.OnlyRunAsync()).Prove.ProveAndPromoteAsync("base"));

        Assert.Contains("1 smoke check(s) failed", e.Message);
        Assert.Equal("fails on purpose", Assert.Single(e.Result.Failures).Name);
        Assert.False((await pipeline.OnlyRunAsync()).Prove.IsProven("base"));
        Assert.Null(await MovingTagIdAsync(pipeline));
        Assert.False(Directory.Exists(_repo.Path(".cache/proofs")) && Directory.EnumerateFiles(_repo.Path(".cache/proofs")).Any());
    }

    [Fact]
    public async Task A_pass_promotes_is_remembered_and_a_changed_check_asks_for_a_new_proof()
    {
        WriteSpec();
        using (var first = NewPipeline())
        {
            await (await first.OnlyRunAsync()).Build.RunAsync("base");
            await (await first.OnlyRunAsync()).Prove.ProveAndPromoteAsync("base");
            Assert.True(Assert.Single(first.Record.SmokeRuns).Passed);
            var published = (await _engine.Docker.Images.InspectImagesAsync([(await first.OnlyRunAsync()).Plan.Get("base").Published.KeyTag])).Single();
            Assert.Equal(published.Id, await MovingTagIdAsync(first));
        }

        _log.Clear();
        using (var second = NewPipeline())
        {
            await (await second.OnlyRunAsync()).Build.RunAsync("base");
            await (await second.OnlyRunAsync()).Prove.ProveAndPromoteAsync("base");
            Assert.Empty(second.Record.SmokeRuns); // nothing ran: the proof was remembered
            Assert.Contains(_log, l => l.Contains("smoke tests passed earlier", StringComparison.Ordinal));
        }

        // Same image, one more check: the old pass proves nothing about it.
        WriteSpec("""
              - name: a new check
                run: "true"
            """);
        using var third = NewPipeline();
        Assert.False((await third.OnlyRunAsync()).Prove.IsProven("base"));
        await (await third.OnlyRunAsync()).Prove.ProveAndPromoteAsync("base");
        Assert.Contains(Assert.Single(third.Record.SmokeRuns).Checks, c => c.Name == "a new check" && c.Passed);
    }

    [Fact]
    [Trait("Lane", "vault-proof")]
    public async Task The_vault_scenario_target_hands_the_image_filesystem_to_user_mode_linux_and_fails_on_its_verdict()
    {
        WriteSpec();
        using (var noVault = NewPipeline())
        {
            var none = await Assert.ThrowsAsync<OptionException>(() => noVault.VaultScenarioAsync(new VaultScenarioVerbOptions()));
            Assert.Contains("--image=base: its smoke spec does not say 'vault: true'", none.Message);
        }
        _repo.Write("Dockerfiles/base.smoke.yaml", "vault: true\n" + File.ReadAllText(_repo.Path("Dockerfiles/base.smoke.yaml")));
        // The tools the vault runs, as stand-ins: Strata asks the image for them before it boots User-Mode Linux.
        _repo.Write("Dockerfiles/Dockerfile.base", """
            ARG PARENT_IMAGE
            FROM ${PARENT_IMAGE}
            RUN for t in modprobe cryptsetup dmsetup mkfs.ext4 losetup findmnt setpriv script sudo awk blockdev unshare nsenter flock; do \
                  command -v "$t" >/dev/null || ln -s /bin/true "/usr/local/bin/$t"; done
            CMD ["true"]
            """);
        foreach (var file in Strata.Smoke.VaultMachine.GuestFiles.Concat(Strata.Smoke.VaultMachine.HostFiles))
            _repo.Write($"smoke/vault/{file}", "#!/bin/sh\n", executable: true);
        // A stand-in linux.uml (the real one crashes on some CPUs): it passes the probe boot, then checks what Strata hands
        // the guest (the image's unpacked filesystem as its root, the scenario in it, the user, the filter) and answers on its
        // console as the guest's init does, with the verdict the test asks for. Its version is the real one's (Strata finds
        // the modules by it).
        var uml = Strata.IO.Executables.Find("linux.uml") ?? throw new InvalidOperationException("linux.uml is not installed (apt-get install user-mode-linux)");
        _repo.Write("bin/linux.uml", $$"""
            #!/bin/sh
            case " $* " in *' --version '*) exec {{uml}} --version ;; *strata-uml-probe*) echo '@@STRATA-UML-PROBE@@ init runs'; exit 0 ;; esac
            for a; do case $a in hostfs=*) root=${a#hostfs=} ;; esac; done
            echo "@@TAP@@ # stand-in for $(cat "$root/strata-smoke/user"), only '$(cat "$root/strata-smoke/only")'"
            if [ -f "$root/etc/os-release" ] && [ -x "$root/strata-smoke/init" ] && [ -f "$root/strata-smoke/scenario.sh" ]; then
              echo "@@TAP@@ ok - the image's filesystem is the guest's root, with the scenario in it"
            else echo "@@TAP@@ not ok - the image's filesystem is the guest's root, with the scenario in it: $root"; fi
            if [ -e "{{_repo.Path("verdict-fail")}}" ]; then echo '@@TAP@@ not ok - asked to fail'; echo '@@TAP@@ # vault scenario: FAIL'; echo '@@RC@@ 1'
            else echo '@@TAP@@ # vault scenario: PASS (1 passed, 0 failed)'; echo '@@RC@@ 0'; fi
            echo '@@END@@'
            """, executable: true);
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", _repo.Path("bin") + ":" + path);
        try
        {
            var options = new RunOptions { RepositoryRoot = "", CacheDirectory = _repo.Path(".cache"), VaultRuntime = Strata.Smoke.VaultRuntime.Uml };
            var scenario = new VaultScenarioVerbOptions { VaultChecks = "lock" };

            using (var pipeline = NewPipeline(options))
                await pipeline.VaultScenarioAsync(scenario);
            Assert.Contains(_log, l => l.Contains("# runtime: user-mode-linux ", StringComparison.Ordinal));
            Assert.Contains(_log, l => l.Contains("# stand-in for root, only 'lock'", StringComparison.Ordinal));
            Assert.Contains(_log, l => l.EndsWith("    ok - the image's filesystem is the guest's root, with the scenario in it", StringComparison.Ordinal));
            Assert.Contains("==> base: vault scenario: PASS (1 passed, 0 failed)", _log);

            _repo.Write("verdict-fail", "");
            using (var failing = NewPipeline(options))
            {
                var e = await Assert.ThrowsAsync<VaultScenarioFailedException>(() => failing.VaultScenarioAsync(scenario));
                Assert.Contains("base: the vault scenario failed (exit 1): # vault scenario: FAIL", e.Message);
                Assert.False((await failing.OnlyRunAsync()).Prove.IsProven("base")); // the target remembers nothing
            }

            using var unknown = NewPipeline(options);
            var wrong = await Assert.ThrowsAsync<OptionException>(() => unknown.VaultScenarioAsync(scenario with { Image = "nope" }));
            Assert.Contains("--image=nope: not an image of strata.yaml; give one of base.", wrong.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }
}
