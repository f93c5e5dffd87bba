using System.Text;
using Strata.Engine;
using Strata.Graph;
using Strata.Smoke;
using Strata.Tests.Support;
using Strata.Tools;
using Xunit.Abstractions;

namespace Strata.Tests.Vault;

/// <summary>
/// The real vault scenario (smoke/vault/run.sh) on the real base image, in whatever runtime this
/// host offers (privileged container, near-privileged container, or User-Mode Linux where the
/// kernel has no device-mapper); and on a base whose vault ignores Ctrl+C, which it must catch.
/// </summary>
[Collection("engine")]
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
        foreach (var tag in _builtTags) await _docker.RemoveImageAsync(tag);
        _temp.Dispose();
    }

    private async Task<SmokeResult> SmokeAsync(string imageRef)
    {
        // Only the Gemini CLI is pinned without GitHub; base installs none of those binaries here.
        var tools = new ToolSet("tools.yaml", []);
        return await SmokeSuite.RunAsync(_graph, "base", imageRef, tools, ToolLock.Empty,
            new SmokeOptions { Docker = _docker, ReportDirectory = _temp.Path("smoke") }, output.WriteLine);
    }

    private static IEnumerable<CheckResult> VaultChecks(SmokeResult result) =>
        result.Checks.Where(c => c.Name.StartsWith(GeneratedChecks.Vault + ":", StringComparison.Ordinal));

    [Fact]
    public async Task The_real_vault_is_proved_on_the_real_base_image_and_the_report_names_the_runtime()
    {
        var result = await SmokeAsync(_baseRef);

        Assert.True(result.Passed, "failures:\n" + string.Join("\n", result.Failures.Select(f => $"{f.Name}: {f.Message}")));
        Assert.False(string.IsNullOrWhiteSpace(result.VaultRuntime));
        Assert.DoesNotContain("none", result.VaultRuntime);
        var vault = VaultChecks(result).ToList();
        Assert.True(vault.Count >= 25, $"only {vault.Count} vault checks ran");
        foreach (var expected in new[] { "SIGINT", "wrong passphrase", "dm-crypt", "plaintext", "non-interactive", "argv" })
            Assert.Contains(vault, c => c.Name.Contains(expected, StringComparison.OrdinalIgnoreCase));
        var junit = await File.ReadAllTextAsync(_temp.Path("smoke/base.xml"));
        Assert.Contains(result.VaultRuntime!, junit);
    }

    [Fact]
    public async Task A_vault_that_ignores_ctrl_c_is_caught_by_the_sigint_checks()
    {
        // The shipped script with its SIGINT trap replaced by "ignore": the bug of the first vault.
        var tag = $"strata-vault-test/ignores-sigint:{Guid.NewGuid():N}"[..^20];
        var dockerfile = $"""
            FROM {_baseRef}
            USER root
            RUN f=/home/dev/.dotfiles/scripts/vault \
             && sed -i "s/^  trap 'on_signal INT' INT\$/  trap '' INT/" "$f" \
             && grep -q "^  trap '' INT" "$f"
            USER dev
            """;
        await EngineFixture.BuildDockerfileAsync(_docker, tag, dockerfile);
        _builtTags.Add(tag);

        var result = await SmokeAsync(tag);

        Assert.False(result.Passed);
        var failed = VaultChecks(result).Where(c => !c.Passed).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, c => Assert.Contains("Ctrl+C", c.Name));
        Assert.Contains(failed, c => c.Message.Contains("SIGINT", StringComparison.Ordinal));
        // Everything that has nothing to do with Ctrl+C still passes: caught for the right reason.
        Assert.DoesNotContain(result.Failures, f => !f.Name.StartsWith(GeneratedChecks.Vault, StringComparison.Ordinal));
    }
}
