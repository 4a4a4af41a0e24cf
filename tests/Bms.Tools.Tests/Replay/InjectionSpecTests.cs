using Bms.Emulators.Common;
using Bms.Replay.Engine;

namespace Bms.Tools.Tests.Replay;

public class InjectionSpecTests
{
    [Theory]
    [InlineData("crc@60s", InjectionKind.Crc, null, 60_000L, null)]
    [InlineData("nack@120s+5s", InjectionKind.Nack, null, 120_000L, 5_000L)]
    [InlineData("open-wire:3@300s", InjectionKind.OpenWire, 3, 300_000L, null)]
    [InlineData("open-wire:0@1min", InjectionKind.OpenWire, 0, 60_000L, null)]
    [InlineData("reset@200s", InjectionKind.Reset, null, 200_000L, null)]
    [InlineData("missing:1@100s", InjectionKind.Missing, 1, 100_000L, null)]
    [InlineData("stuck:2@50s+10min", InjectionKind.Stuck, 2, 50_000L, 600_000L)]
    [InlineData("no-answer@1.5s+250ms", InjectionKind.NoAnswer, null, 1_500L, 250L)]
    [InlineData("frozen@2h", InjectionKind.Frozen, null, 7_200_000L, null)]
    [InlineData("crc@0ms", InjectionKind.Crc, null, 0L, null)]
    public void Parses_the_grammar(string text, InjectionKind kind, int? target, long at, long? duration)
    {
        var spec = InjectionSpec.Parse(text);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(target, spec.Target);
        Assert.Equal(at, spec.At_ms);
        Assert.Equal(duration, spec.Duration_ms);
        Assert.Equal(text, spec.Text);
    }

    [Fact]
    public void Maps_to_emulator_faults_and_targets()
    {
        Assert.Equal(EmulatorFault.StuckValue, InjectionSpec.Parse("stuck:2@1s").Fault);
        Assert.Equal(1, InjectionSpec.Parse("stuck:2@1s").EmulatorTarget);          // cell 2 → index 1
        Assert.Equal(3, InjectionSpec.Parse("open-wire:3@1s").EmulatorTarget);      // wire numbers as on the chip (C3)
        Assert.Equal(0, InjectionSpec.Parse("missing:1@1s").EmulatorTarget);        // device 1 → index 0
        Assert.Equal(-1, InjectionSpec.Parse("crc@1s").EmulatorTarget);
        Assert.Equal(EmulatorFault.CorruptCrc, InjectionSpec.Parse("crc@1s").Fault);
        Assert.Equal(EmulatorFault.Nack, InjectionSpec.Parse("nack@1s").Fault);
        Assert.Equal(EmulatorFault.ChipReset, InjectionSpec.Parse("reset@1s").Fault);
        Assert.Equal(EmulatorFault.OpenWire, InjectionSpec.Parse("open-wire:1@1s").Fault);
        Assert.Equal(EmulatorFault.DeviceMissing, InjectionSpec.Parse("missing:1@1s").Fault);
        Assert.Equal(EmulatorFault.NoAnswer, InjectionSpec.Parse("no-answer@1s").Fault);
        Assert.Equal(EmulatorFault.FrozenValue, InjectionSpec.Parse("frozen@1s").Fault);
        Assert.Equal(125_000L, InjectionSpec.Parse("nack@120s+5s").End_ms);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("crc", "'@TIME' is missing")]
    [InlineData("crc@60", "needs a unit")]
    [InlineData("crc@60sec", "unit 'sec' is unknown")]
    [InlineData("crc@s", "must start with a number")]
    [InlineData("crc@-5s", "must start with a number")]
    [InlineData("crc@1.2.3s", "not a number")]
    [InlineData("crc@0.5ms", "finer than 1 ms")]
    [InlineData("crc@1s@2s", "more than one '@'")]
    [InlineData("smoke@1s", "unknown fault 'smoke'")]
    [InlineData("CRC@1s", "unknown fault 'CRC'")]
    [InlineData("crc:2@1s", "takes no target")]
    [InlineData("stuck@1s", "needs a cell number")]
    [InlineData("stuck:@1s", "needs a cell number")]
    [InlineData("stuck:0@1s", "out of range")]
    [InlineData("stuck:x@1s", "not a number")]
    [InlineData("missing:0@1s", "out of range")]
    [InlineData("open-wire@1s", "sense-wire number")]
    [InlineData("reset@1s+5s", "takes no +DURATION")]
    [InlineData("nack@1s+0s", "longer than 0")]
    [InlineData("nack@1s+", "must start with a number")]
    public void Refuses_bad_specs_with_a_reason_and_the_expected_form(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => InjectionSpec.Parse(text));
        Assert.Contains(reason, e.Message);
        Assert.Contains("--inject '" + text + "'", e.Message);
        Assert.Contains("KIND[:TARGET]@TIME[+DURATION]", e.Message);
    }

    [Fact]
    public void Targets_are_checked_against_the_pack_and_chain()
    {
        Assert.Null(InjectionSpec.Parse("stuck:4@1s").CheckAgainst(4, 1));
        Assert.Contains("does not exist", InjectionSpec.Parse("stuck:5@1s").CheckAgainst(4, 1));
        Assert.Null(InjectionSpec.Parse("open-wire:4@1s").CheckAgainst(4, 1));
        Assert.Contains("wires are 0..4", InjectionSpec.Parse("open-wire:5@1s").CheckAgainst(4, 1));
        Assert.Contains("daisy chain", InjectionSpec.Parse("missing:1@1s").CheckAgainst(16, 1));
        Assert.Null(InjectionSpec.Parse("missing:2@1s").CheckAgainst(36, 2));
        Assert.Contains("chain has 2", InjectionSpec.Parse("missing:3@1s").CheckAgainst(36, 2));
    }
}
