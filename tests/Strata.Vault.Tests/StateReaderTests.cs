using Strata.Vault.States;
using Strata.Vault.Tests.Fakes;
using static Strata.Vault.Tests.Support;

namespace Strata.Vault.Tests;

/// <summary>The four states and their exit codes, read from what the kernel shows (table of kernel shapes).</summary>
public class StateReaderTests
{
    public static TheoryData<string, Func<FakeKernel>, string, int> Shapes => new()
    {
        { "nothing", FakeKernel.Locked, "locked", 1 },
        { "open vault", () => FakeKernel.Unlocked(Key), "unlocked", 0 },
        { "sealed image", () => FakeKernel.Sealed(Key), "sealed", 2 },
        { "RAM folder alone", () => { var k = FakeKernel.Locked(); k.RamFolderMounted = true; return k; }, "broken", 3 },
        { "image without RAM folder", () => { var k = FakeKernel.Locked(); k.ImageFile = new(); return k; }, "broken", 3 },
        { "mapping without mount", () => { var k = FakeKernel.Sealed(Key); k.DmMapping = new() { Loop = k.AttachLoop(k.ImageFile!, true) }; return k; }, "broken", 3 },
        { "extra loop device", () => { var k = FakeKernel.Sealed(Key); k.AttachLoop(k.ImageFile!, false); return k; }, "broken", 3 },
        { "foreign mount on ~/secrets", () => { var k = FakeKernel.Locked(); k.MountStack.Add(FakeKernel.MountKind.Foreign); return k; }, "broken", 3 },
        { "vault mount under a foreign one", () => { var k = FakeKernel.Unlocked(Key); k.MountStack.Add(FakeKernel.MountKind.Foreign); return k; }, "broken", 3 },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void The_kernel_shape_is_read_as_one_state_with_its_status_code(string shape, Func<FakeKernel> make, string state, int code)
    {
        var machine = new Machine(make());
        Assert.Equal(state, machine.State.Name);
        Assert.Equal(code, machine.Status());
        Assert.StartsWith(state + ":", machine.Console.Output.ToString());
        _ = shape;
    }

    [Fact]
    public void Status_needs_no_helper()
    {
        var machine = new Machine(FakeKernel.Unlocked(Key));
        machine.Status();
        Assert.Empty(machine.Requests);
        Assert.Contains("unlocked: /home/dev/secrets on /dev/mapper/strata-vault-dev-4026532281 (CRYPT-LUKS2, loop /dev/loop0)", machine.Console.Output.ToString());
    }
}
