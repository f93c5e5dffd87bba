using System.Text.RegularExpressions;
using Strata.Tests.Support;

namespace Strata.Tests.Repository;

/// <summary>
/// The library's folders (namespaces) depend on each other without a cycle. A file depends on a folder when it names a
/// top-level type declared there that it can see: the folder is imported (<c>using</c>), encloses it, or qualifies the
/// name (<c>Oci.ImageIndex</c>). Comments and strings are left out.
/// </summary>
public sealed partial class FolderCyclesTests
{
    [Fact]
    public void No_folder_of_the_library_depends_on_itself_through_others()
    {
        var edges = Edges(Path.Combine(RepositoryRoot.Find(), "src", "Strata"));

        var cycles = StronglyConnected(edges).Where(c => c.Count > 1)
            .Select(c => string.Join(" <-> ", c.Order(StringComparer.Ordinal)) + ": " + string.Join("; ",
                from a in c from b in c where edges[a].ContainsKey(b) select $"{a} -> {b} ({edges[a][b]})"))
            .ToList();
        Assert.True(cycles.Count == 0, "folder cycles:\n" + string.Join("\n", cycles));
    }

    private static Dictionary<string, Dictionary<string, string>> Edges(string root)
    {
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(f => (Path: Path.GetRelativePath(root, f), Text: File.ReadAllText(f)))
            .Select(f => (f.Path, f.Text, Namespace: Namespace().Match(f.Text).Groups[1].Value))
            .ToList();
        var owners = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal); // type -> namespaces declaring it
        foreach (var file in files)
            foreach (Match m in TopLevelType().Matches(file.Text))
                (owners.TryGetValue(m.Groups[1].Value, out var set) ? set : owners[m.Groups[1].Value] = []).Add(file.Namespace);

        var edges = files.Select(f => f.Namespace).Distinct().ToDictionary(n => n, _ => new Dictionary<string, string>(StringComparer.Ordinal));
        foreach (var file in files)
        {
            var usings = Using().Matches(file.Text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            var code = Strings().Replace(Comments().Replace(file.Text, ""), "\"\"");
            foreach (Match m in Name().Matches(code))
            {
                var parts = m.Value.Split('.');
                for (var i = 0; i < parts.Length; i++)
                {
                    var qualifier = i > 0 ? parts[i - 1] : "";
                    foreach (var ns in owners.GetValueOrDefault(parts[i]) ?? [])
                    {
                        var visible = qualifier.Length > 0
                            ? ns.EndsWith("." + qualifier, StringComparison.Ordinal)
                            : usings.Contains(ns) || file.Namespace.StartsWith(ns + ".", StringComparison.Ordinal) || ns == "Strata";
                        if (ns != file.Namespace && visible) edges[file.Namespace].TryAdd(ns, $"{file.Path}: {parts[i]}");
                    }
                }
            }
        }
        foreach (var target in edges.Values.SelectMany(e => e.Keys).ToList()) edges.TryAdd(target, []);
        return edges;
    }

    /// <summary>Tarjan's strongly connected components.</summary>
    private static List<List<string>> StronglyConnected(Dictionary<string, Dictionary<string, string>> edges)
    {
        var (index, low, stack, onStack, result, next) = (new Dictionary<string, int>(), new Dictionary<string, int>(), new Stack<string>(),
            new HashSet<string>(), new List<List<string>>(), 0);
        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in edges[v].Keys)
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do
            {
                x = stack.Pop();
                onStack.Remove(x);
                component.Add(x);
            } while (x != v);
            result.Add(component);
        }
        foreach (var v in edges.Keys.Order(StringComparer.Ordinal))
            if (!index.ContainsKey(v)) Visit(v);
        return result;
    }

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"^(?:public|internal)\s+(?:\w+\s+)*?(?:class|record|struct|interface|enum)\s+(\w+)", RegexOptions.Multiline)]
    private static partial Regex TopLevelType();

    [GeneratedRegex(@"^using\s+([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex Using();

    [GeneratedRegex(@"//.*|/\*[\s\S]*?\*/")]
    private static partial Regex Comments();

    [GeneratedRegex(@"""(?:\\.|[^""\\])*""")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\b\w+(?:\.\w+)*")]
    private static partial Regex Name();
}
