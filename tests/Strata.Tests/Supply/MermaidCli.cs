using Strata.IO;
using Strata.Tests.Support;

namespace Strata.Tests.Supply;

/// <summary>
/// The real Mermaid CLI (@mermaid-js/mermaid-cli from npm, pinned by <c>mermaid-cli/package-lock.json</c> beside this file,
/// installed once per lock into <c>~/.cache/strata/mermaid-cli/</c>), rendering with Debian's chromium (its own browser
/// download cannot work here and is skipped: npm ci runs no install scripts).
/// </summary>
public sealed class MermaidCli
{
    public const string Chromium = "/usr/bin/chromium";
    private readonly string _mmdc;
    private readonly string _config;

    private MermaidCli(string installed)
    {
        _mmdc = Path.Combine(installed, "node_modules", ".bin", "mmdc");
        _config = Path.Combine(installed, "puppeteer.json");
    }

    public static async Task<MermaidCli> InstallAsync(Action<string> log)
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: the Mermaid CLI renders with it. Install it: apt-get install chromium");
        var source = Path.Combine(RepositoryRoot.Find(), "tests", "Strata.Tests", "Supply", "mermaid-cli");
        var installed = await PinnedNpmPackages.InstallAsync(source, "mermaid-cli", Path.Combine("node_modules", ".bin", "mmdc"), log);
        return new MermaidCli(installed);
    }

    /// <summary>Renders <paramref name="input"/> (a .mmd, or a .md whose every mermaid block is rendered) to <paramref name="output"/>.</summary>
    public async Task<(int Exit, string Output)> RenderAsync(string input, string output)
    {
        var lines = new List<string>();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var exit = await ChildProcess.RunAsync(_mmdc, ["-q", "-p", _config, "-i", input, "-o", output], lines.Add, lines.Add, limit.Token,
            new Dictionary<string, string> { ["PUPPETEER_EXECUTABLE_PATH"] = Chromium });
        return (exit, string.Join('\n', lines));
    }
}
