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
        (options ?? new RunOptions { RepositoryRoot = "" }) with { RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache") },
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
    public async Task The_vault_scenario_target_hands_the_image_filesystem_to_the_uml_side_and_fails_on_its_verdict()
    {
        WriteSpec();
        using (var noVault = NewPipeline())
        {
            var none = await Assert.ThrowsAsync<OptionException>(() => noVault.VaultScenarioAsync());
            Assert.Contains("--image=base: its smoke spec does not say 'vault: true'", none.Message);
        }
        _repo.Write("Dockerfiles/base.smoke.yaml", "vault: true\n" + File.ReadAllText(_repo.Path("Dockerfiles/base.smoke.yaml")));
        // The scenario folder with a stand-in for uml.sh: it checks what Strata hands it (the image's
        // unpacked filesystem, the user, the filter) and answers with the verdict the test asks for.
        foreach (var file in Strata.Smoke.VaultMachine.GuestFiles.Concat(Strata.Smoke.VaultMachine.HostFiles))
            _repo.Write($"smoke/vault/{file}", "#!/bin/sh\n", executable: true);
        // A linux.uml that passes the probe boot, so the stand-in uml.sh runs on any CPU (a real one crashes on some).
        _repo.Write("bin/linux.uml", "#!/bin/sh\necho '@@STRATA-UML-PROBE@@ init runs'\n", executable: true);
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", _repo.Path("bin") + ":" + path);
        try
        {
            _repo.Write("smoke/vault/uml.sh", """
                #!/bin/sh
                while [ $# -gt 0 ]; do case $1 in --root) root=$2; shift 2 ;; --user) user=$2; shift 2 ;; --only) only=$2; shift 2 ;; *) shift ;; esac; done
                echo "# runtime: stand-in for $user, only '$only'"
                if [ -f "$root/etc/os-release" ]; then echo "ok - the image's filesystem is under --root"; else echo "not ok - the image's filesystem is under --root: $root"; fi
                if [ -e "$(dirname "$0")/verdict-fail" ]; then echo "not ok - asked to fail"; echo "# vault scenario: FAIL"; exit 1; fi
                echo "# vault scenario: PASS (1 passed, 0 failed)"
                """, executable: true);
            var options = new RunOptions { RepositoryRoot = "", VaultRuntime = Strata.Smoke.VaultRuntime.Uml, VaultChecks = "lock" };

            using (var pipeline = NewPipeline(options))
                await pipeline.VaultScenarioAsync();
            Assert.Contains(_log, l => l.Contains("# runtime: stand-in for root, only 'lock'", StringComparison.Ordinal));
            Assert.Contains(_log, l => l.Contains("ok - the image's filesystem is under --root", StringComparison.Ordinal));
            Assert.Contains("==> base: vault scenario: PASS (1 passed, 0 failed)", _log);

            _repo.Write("smoke/vault/verdict-fail", "");
            using (var failing = NewPipeline(options))
            {
                var e = await Assert.ThrowsAsync<VaultScenarioFailedException>(() => failing.VaultScenarioAsync());
                Assert.Contains("base: the vault scenario failed (exit 1): # vault scenario: FAIL", e.Message);
                Assert.False((await failing.OnlyRunAsync()).Prove.IsProven("base")); // the target remembers nothing
            }

            using var unknown = NewPipeline(options with { Image = "nope" });
            var wrong = await Assert.ThrowsAsync<OptionException>(() => unknown.VaultScenarioAsync());
            Assert.Contains("--image=nope: not an image of strata.yaml; give one of base.", wrong.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }
}
