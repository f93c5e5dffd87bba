using System.Reflection;

namespace Strata.Tests.Support;

/// <summary>
/// The lane without an engine (<c>./build.sh --target=test --filter='Needs!=Engine'</c>) leaves out exactly the
/// classes marked <c>[Trait("Needs", "Engine")]</c>: every class of the "engine" collection must carry it.
/// </summary>
public sealed class EngineTraitTests
{
    [Fact]
    public void Every_class_of_the_engine_collection_is_marked_as_needing_the_engine()
    {
        var unmarked = typeof(EngineTraitTests).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<CollectionAttribute>() is not null && CollectionName(t) == "engine")
            .Where(t => !t.GetCustomAttributesData().Any(a => a.AttributeType == typeof(TraitAttribute)
                && a.ConstructorArguments.Select(c => c.Value as string).SequenceEqual(["Needs", "Engine"])))
            .Select(t => t.Name)
            .ToList();

        Assert.True(unmarked.Count == 0, "add [Trait(\"Needs\", \"Engine\")] to: " + string.Join(", ", unmarked));
    }

    private static string? CollectionName(Type type) =>
        type.GetCustomAttributesData().Single(a => a.AttributeType == typeof(CollectionAttribute)).ConstructorArguments[0].Value as string;
}
