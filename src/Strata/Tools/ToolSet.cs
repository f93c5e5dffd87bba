namespace Strata.Tools;

/// <summary>The validated content of tools.yaml.</summary>
public sealed class ToolSet(string path, IReadOnlyList<ToolSpec> tools)
{
    public string Path { get; } = path;
    public IReadOnlyList<ToolSpec> Tools { get; } = tools;

    public ToolSpec Get(string name) =>
        Tools.FirstOrDefault(t => t.Name == name)
        ?? throw new StrataConfigException(
            $"{System.IO.Path.GetFileName(Path)}: there is no tool '{name}'. Tools: {string.Join(", ", Tools.Select(t => t.Name))}.");

    public IEnumerable<ToolSpec> ForImage(string image) => Tools.Where(t => t.Image == image);
}
