using System.Text;

namespace Strata.Reporting;

/// <summary>One image on one platform in a picture of the chain: its parent, whether it is (or would be) built, and why.</summary>
public sealed record ChainNode(string Image, string? Parent, string Platform, bool Built, string? Reason);

/// <summary>
/// The chain as a Mermaid flowchart (GitHub renders it in Markdown): per platform a box of the images, each with an
/// arrow from its parent, built ones highlighted with their reason, reused ones grey. Written by --target=plan
/// (artifacts/plan.mmd), into the release notes and into the bump pull request.
/// </summary>
public static class ChainDiagram
{
    /// <summary>The diagram's text (a .mmd file).</summary>
    public static string Mermaid(IEnumerable<ChainNode> nodes)
    {
        var text = new StringBuilder("flowchart LR\n");
        var platforms = nodes.GroupBy(n => n.Platform).ToList();
        for (var p = 0; p < platforms.Count; p++)
        {
            var ids = platforms[p].Select((n, i) => (n.Image, Id: $"p{p}n{i}")).ToDictionary(x => x.Image, x => x.Id);
            text.Append($"  subgraph p{p}[\"{Escape(platforms[p].Key)}\"]\n");
            foreach (var node in platforms[p])
            {
                var status = node.Built ? "build" : "reuse";
                var label = Escape(node.Image) + "<br/>" + status + (node.Reason is { } why ? ": " + Escape(why) : "");
                text.Append($"    {ids[node.Image]}[\"{label}\"]:::{status}\n");
            }
            foreach (var node in platforms[p].Where(n => n.Parent is not null && ids.ContainsKey(n.Parent)))
                text.Append($"    {ids[node.Parent!]} --> {ids[node.Image]}\n");
            text.Append("  end\n");
        }
        text.Append("  classDef build fill:#fde68a,stroke:#b45309,color:#000\n");
        text.Append("  classDef reuse fill:#e5e7eb,stroke:#6b7280,color:#000\n");
        return text.ToString();
    }

    /// <summary>The diagram as a fenced block for Markdown (release notes, pull requests).</summary>
    public static string Markdown(IEnumerable<ChainNode> nodes) => "```mermaid\n" + Mermaid(nodes) + "```\n";

    /// <summary>Label text inside double quotes: Mermaid's entity codes for what would end the label or read as markup.</summary>
    private static string Escape(string text) => text.Replace("#", "#35;").Replace("\"", "#quot;").Replace("<", "#lt;").Replace(">", "#gt;");
}
