using System.Text;
using System.Text.Json;
using Strata.IO;

namespace Strata.Tests.Support;

/// <summary>
/// BuildKit's build records (its layer cache) of a test's own steps, found by a nonce in their
/// description: removed so that a build on this engine meets no cache of them, as on a new machine.
/// Records an image still uses are kept by the engine: remove the images first.
/// </summary>
public static class BuildRecords
{
    public static async Task RemoveAsync(string nonce)
    {
        if (!File.Exists(Client)) return; // no BuildKit client here: no records either
        for (var round = 0; round < 4; round++)
        {
            var json = new StringBuilder();
            await ChildProcess.RunAsync(Client, ["system", "df", "-v", "--format", "{{json .BuildCache}}"], l => json.Append(l), null,
                CancellationToken.None);
            var ours = JsonDocument.Parse(json.ToString()).RootElement.EnumerateArray()
                .Where(r => r.GetProperty("Description").GetString()!.Contains(nonce, StringComparison.Ordinal))
                .Select(r => r.GetProperty("ID").GetString()!).ToList();
            if (ours.Count == 0) return;
            // One id per call (the engine takes one value per filter); a record with children goes in a later round.
            foreach (var id in ours)
                await ChildProcess.RunAsync(Client, ["builder", "prune", "--force", "--filter", "id=" + id], null, null, CancellationToken.None);
        }
    }

    // Debian's 20.10 client: the newer client on PATH has no buildx plugin here, and `builder prune` needs one of them.
    private const string Client = "/usr/bin/docker";
}
