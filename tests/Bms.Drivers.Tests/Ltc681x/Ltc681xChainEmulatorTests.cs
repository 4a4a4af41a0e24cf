using Bms.Drivers.Common;
using Bms.Drivers.Ltc681x;
using Bms.Emulators.Common;
using Bms.Emulators.Ltc681x;

namespace Bms.Drivers.Tests.Ltc681x;

/// <summary>The emulator against the datasheet framing, byte by byte, without the driver.</summary>
public class Ltc681xChainEmulatorTests
{
    private readonly VirtualClock _clock = new(0);

    private static byte[] Command(int command, int devices)
    {
        var frame = Enumerable.Repeat((byte)0xFF, 4 + 8 * devices).ToArray();
        Ltc681xCommands.Encode(command, frame, 0);
        return frame;
    }

    private byte[] Transfer(Ltc681xChainEmulator chain, byte[] frame)
    {
        var answer = new byte[frame.Length];
        Assert.Equal(Bms.Hal.BusStatus.Ok, chain.TransferFullDuplex(frame, 0, answer, 0, frame.Length));
        return answer;
    }

    private void WakeFromSleep(Ltc681xChainEmulator chain)
    {
        Transfer(chain, new byte[] { 0xFF });
        _clock.Wait_us(chain.DeviceCount * 400 + 10);
    }

    private static byte[] WriteFrame(int command, params byte[][] perDeviceNearestFirst)
    {
        int n = perDeviceNearestFirst.Length;
        var frame = new byte[4 + 8 * n];
        Ltc681xCommands.Encode(command, frame, 0);
        for (int k = 0; k < n; k++)
        {
            var data = perDeviceNearestFirst[n - 1 - k]; // farthest first on the wire
            Array.Copy(data, 0, frame, 4 + 8 * k, 6);
            Pec15.Append(frame, 4 + 8 * k, 6);
        }
        return frame;
    }

    [Fact]
    public void Read_answers_nearest_device_first_each_block_with_its_own_pec()
    {
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 2, 12, 0, _clock);
        chain.Pack.CellVoltage_mV[0] = 3100;  // device 0, C1
        chain.Pack.CellVoltage_mV[12] = 4100; // device 1, C1
        WakeFromSleep(chain);
        Transfer(chain, Command(0x360, 0));
        _clock.Wait_us(2400 + 4400); // REFON = 0 after power-up: the reference comes up first
        Transfer(chain, new byte[] { 0xFF }); // ports idled meanwhile
        _clock.Wait_us(30);
        var answer = Transfer(chain, Command(Ltc681xCommands.RDCVA, 2));
        Assert.True(Pec15.Check(answer, 4, 6));
        Assert.True(Pec15.Check(answer, 12, 6));
        Assert.Equal(31000, answer[4] | (answer[5] << 8));
        Assert.Equal(41000, answer[12] | (answer[13] << 8));
    }

    [Fact]
    public void Write_blocks_go_farthest_first_and_a_bad_block_pec_is_ignored_by_that_device_only()
    {
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 3, 12, 0, _clock);
        WakeFromSleep(chain);
        byte[] near = { 0xFC, 1, 0, 0, 0x11, 0x00 }, mid = { 0xFC, 2, 0, 0, 0x22, 0x00 }, far = { 0xFC, 3, 0, 0, 0x33, 0x00 };
        Transfer(chain, WriteFrame(Ltc681xCommands.WRCFGA, near, mid, far));
        Assert.Equal(0x11, chain.DischargeMask(0));
        Assert.Equal(0x22, chain.DischargeMask(1));
        Assert.Equal(0x33, chain.DischargeMask(2));

        var frame = WriteFrame(Ltc681xCommands.WRCFGA, new byte[] { 0xFC, 1, 0, 0, 0x44, 0 }, new byte[] { 0xFC, 2, 0, 0, 0x55, 0 }, new byte[] { 0xFC, 3, 0, 0, 0x66, 0 });
        frame[4 + 8 * 1 + 2] ^= 0x10; // damage the middle device's block (second on the wire)
        Transfer(chain, frame);
        Assert.Equal(0x44, chain.DischargeMask(0));
        Assert.Equal(0x22, chain.DischargeMask(1));
        Assert.Equal(0x66, chain.DischargeMask(2));
        Assert.Equal(1, chain.WriteBlocksRejected);
    }

    [Fact]
    public void Command_with_a_bad_pec_is_ignored()
    {
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 1, 12, 0, _clock);
        WakeFromSleep(chain);
        var frame = WriteFrame(Ltc681xCommands.WRCFGA, new byte[] { 0xFC, 0, 0, 0, 0xFF, 0 });
        frame[3] ^= 0x04;
        Transfer(chain, frame);
        Assert.Equal(1, chain.CommandsRejected);
        Assert.Equal(0, chain.DischargeMask(0));
        var read = Command(Ltc681xCommands.RDCFGA, 1);
        read[2] ^= 0x80;
        Assert.All(Transfer(chain, read), b => Assert.Equal(0xFF, b));
    }

    [Fact]
    public void Frames_reaching_an_idle_port_are_lost_until_it_is_woken()
    {
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 2, 12, 0, _clock);
        WakeFromSleep(chain);
        Assert.True(Pec15.Check(Transfer(chain, Command(Ltc681xCommands.RDCFGA, 2)), 12, 6));
        _clock.Wait_us(4300); // tIDLE
        int lost = chain.FramesLost;
        Assert.All(Transfer(chain, Command(Ltc681xCommands.RDCFGA, 2)), b => Assert.Equal(0xFF, b));
        Assert.Equal(lost + 1, chain.FramesLost);
        _clock.Wait_us(15); // device 0 ready after 10 µs, device 1 after 20 µs
        var partial = Transfer(chain, Command(Ltc681xCommands.RDCFGA, 2));
        Assert.True(Pec15.Check(partial, 4, 6));
        Assert.False(Pec15.Check(partial, 12, 6));
        _clock.Wait_us(10);
        Assert.True(Pec15.Check(Transfer(chain, Command(Ltc681xCommands.RDCFGA, 2)), 12, 6));
    }

    [Fact]
    public void Watchdog_resets_configuration_and_sleeps_after_tSLEEP()
    {
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6813, 1, 18, 0, _clock);
        WakeFromSleep(chain);
        Transfer(chain, WriteFrame(Ltc681xCommands.WRCFGA, new byte[] { 0xFC, 0x12, 0x34, 0x56, 0x01, 0x00 })); // DCTO 0
        Assert.Equal(0xFC, chain.ConfigurationA(0)[0]);
        _clock.Wait_us(1_799_000);
        Assert.False(chain.IsAsleep(0));
        _clock.Wait_us(2_000);
        Assert.True(chain.IsAsleep(0));
        Assert.Equal(new byte[] { 0xF8, 0, 0, 0, 0, 0 }, chain.ConfigurationA(0));
        Assert.Equal(0x0F, chain.ConfigurationB(0)[0]);
        Assert.Equal(0, chain.DischargeMask(0));
    }

    [Fact]
    public void Conversion_results_appear_only_after_the_conversion_time_and_clear_gives_ffff()
    {
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 1, 12, 0, _clock);
        WakeFromSleep(chain);
        Transfer(chain, WriteFrame(Ltc681xCommands.WRCFGA, new byte[] { 0xFC, 0, 0, 0, 0, 0 }));
        _clock.Wait_us(4400);
        Transfer(chain, new byte[] { 0xFF });
        _clock.Wait_us(20);
        Assert.Equal(0xFFFF, chain.CellCode(0, 0)); // power-on value
        Transfer(chain, Command(0x360, 0));
        _clock.Wait_us(1000);
        var early = Transfer(chain, Command(Ltc681xCommands.RDCVA, 1));
        Assert.Equal(0xFFFF, early[4] | (early[5] << 8));
        _clock.Wait_us(1400);
        var late = Transfer(chain, Command(Ltc681xCommands.RDCVA, 1));
        Assert.Equal(37000, late[4] | (late[5] << 8));
        Transfer(chain, Command(Ltc681xCommands.CLRCELL, 0));
        Assert.Equal(0xFFFF, chain.CellCode(0, 0));
    }

    [Fact]
    public void Conversion_without_reference_on_waits_for_the_reference_first()
    {
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 1, 12, 0, _clock);
        WakeFromSleep(chain);
        Transfer(chain, Command(0x360, 0)); // REFON = 0 after power-up
        _clock.Wait_us(2400);
        Assert.Equal(0xFFFF, chain.CellCode(0, 0));
        _clock.Wait_us(4400);
        Assert.Equal(37000, chain.CellCode(0, 0));
    }

    [Fact]
    public void Dcto_reads_back_the_time_left()
    {
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 1, 12, 0, _clock);
        WakeFromSleep(chain);
        Transfer(chain, WriteFrame(Ltc681xCommands.WRCFGA, new byte[] { 0xFC, 0, 0, 0, 0x01, 0x40 })); // DCTO 4 = 3 min
        _clock.Wait_us(100_000);
        Transfer(chain, new byte[] { 0xFF });
        _clock.Wait_us(20);
        var a = Transfer(chain, Command(Ltc681xCommands.RDCFGA, 1));
        Assert.Equal(4, a[9] >> 4);
        Assert.Equal(0xFE, a[4]); // DTEN reads 1
    }

    [Fact]
    public void Aux_conversion_encodes_thermistor_divider_and_reference()
    {
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 1, 12, 0b101, _clock);
        chain.Pack.Temperature_dC[0] = 250;
        chain.Pack.Temperature_dC[1] = 600;
        WakeFromSleep(chain);
        Transfer(chain, WriteFrame(Ltc681xCommands.WRCFGA, new byte[] { 0xFC, 0, 0, 0, 0, 0 }));
        _clock.Wait_us(4400);
        Transfer(chain, new byte[] { 0xFF });
        _clock.Wait_us(20);
        Transfer(chain, Command(0x560, 0));
        _clock.Wait_us(2400);
        var a = Transfer(chain, Command(Ltc681xCommands.RDAUXA, 1));
        Assert.Equal(15000, a[4] | (a[5] << 8));                                   // 25 °C: half of 3 V
        Assert.Equal(Ltc681xChainEmulator.ThermistorCode(600), a[8] | (a[9] << 8)); // GPIO3
        var b = Transfer(chain, Command(Ltc681xCommands.RDAUXB, 1));
        Assert.Equal(30000, b[8] | (b[9] << 8));                                   // 2nd reference
    }

    [Fact]
    public void Rejects_impossible_setups_with_reasons()
    {
        Assert.Throws<ArgumentException>(() => new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 1, 13, 0, _clock));
        Assert.Throws<ArgumentException>(() => new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 1, 12, 1 << 5, _clock));
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 1, 12, 0, _clock);
        Assert.Throws<ArgumentOutOfRangeException>(() => chain.Inject(EmulatorFault.OpenWire, 13));
        Assert.Throws<NotSupportedException>(() => chain.Inject(EmulatorFault.Nack));
    }
}

public class Ltc681xChainEmulatorPackTests
{
    [Fact]
    public void Measures_a_pack_owned_by_the_harness_and_refuses_a_mismatched_one()
    {
        var clock = new VirtualClock();
        var pack = new EmulatedPack(20, 4);
        var chain = new Ltc681xChainEmulator(pack, Ltc681xVariant.Ltc6811, new[] { 12, 8 }, 0b11, clock);
        Assert.Same(pack, chain.Pack);
        var e = Assert.Throws<ArgumentException>(() => new Ltc681xChainEmulator(new EmulatedPack(24, 4), Ltc681xVariant.Ltc6811, new[] { 12, 8 }, 0b11, clock));
        Assert.Contains("24 cells", e.Message);
        Assert.Throws<ArgumentException>(() => new Ltc681xChainEmulator(new EmulatedPack(20, 2), Ltc681xVariant.Ltc6811, new[] { 12, 8 }, 0b11, clock));
    }
}
