using Strata.Platforms;

namespace Strata.Tests.Support.Fakes;

/// <summary>binfmt_misc in memory: its entries, and whether this process may register them again (root on the host or not).</summary>
public sealed class FakeBinfmtMisc : IBinfmtMisc
{
    public Dictionary<string, BinfmtEntry> Entries { get; } = [];
    public bool Mounted { get; set; } = true;
    public bool MayRegister { get; set; } = true;
    /// <summary>A kernel that takes the registration but drops the C flag (as one without C support would).</summary>
    public bool DropsSetuid { get; set; }
    public List<string> Registrations { get; } = [];
    /// <summary>Runs when a registration is refused (another process on the host, say, registering it meanwhile).</summary>
    public Action? OnRefusal { get; set; }
    public string Directory => "/proc/sys/fs/binfmt_misc";

    /// <summary>qemu-aarch64 as Debian's qemu-user-static registers it (flags PF), or with <paramref name="flags"/>.</summary>
    public FakeBinfmtMisc WithAarch64(string flags = "PF", bool enabled = true)
    {
        Entries["qemu-aarch64"] = BinfmtEntry.Parse("qemu-aarch64", Strata.Tests.Platforms.BinfmtEntryTests.Aarch64(flags, enabled));
        return this;
    }

    public BinfmtEntry? Find(string name) => Mounted ? Entries.GetValueOrDefault(name) : null;

    public void Reregister(BinfmtEntry entry, string flags)
    {
        if (!MayRegister)
        {
            OnRefusal?.Invoke();
            throw new UnauthorizedAccessException($"Access to the path '{Directory}/{entry.Name}' is denied.");
        }
        Registrations.Add(entry.Registration(flags)!);
        Entries[entry.Name] = entry with { Flags = DropsSetuid ? flags.Replace("C", "") : flags };
    }
}
