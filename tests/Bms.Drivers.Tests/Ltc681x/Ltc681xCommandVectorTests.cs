using Bms.Drivers.Ltc681x;

namespace Bms.Drivers.Tests.Ltc681x;

public class Ltc681xCommandVectorTests
{
    private static int WirePec(int command)
    {
        var buffer = new byte[4];
        Ltc681xCommands.Encode(command, buffer, 0);
        Assert.Equal((byte)(command >> 8), buffer[0]);
        Assert.Equal((byte)command, buffer[1]);
        return (buffer[2] << 8) | buffer[3];
    }

    [Fact] public void WRCFGA() => Assert.Equal(0x3D6E, WirePec(Ltc681xCommands.WRCFGA));
    [Fact] public void RDCFGA() => Assert.Equal(0x2B0A, WirePec(Ltc681xCommands.RDCFGA));
    [Fact] public void RDCVA() => Assert.Equal(0x07C2, WirePec(Ltc681xCommands.RDCVA));
    [Fact] public void RDCVB() => Assert.Equal(0x9A94, WirePec(Ltc681xCommands.RDCVB));
    [Fact] public void RDCVC() => Assert.Equal(0x5E52, WirePec(Ltc681xCommands.RDCVC));
    [Fact] public void RDCVD() => Assert.Equal(0xC304, WirePec(Ltc681xCommands.RDCVD));
    [Fact] public void RDCVE() => Assert.Equal(0xD560, WirePec(Ltc681xCommands.RDCVE));
    [Fact] public void RDCVF() => Assert.Equal(0x4836, WirePec(Ltc681xCommands.RDCVF));
    [Fact] public void RDAUXA() => Assert.Equal(0xEFCC, WirePec(Ltc681xCommands.RDAUXA));

    [Fact]
    public void ADCV_normal_mode_no_discharge_all_cells()
    {
        int command = Ltc681xCommands.Adcv(Ltc681xCommands.ModeNormal, false, Ltc681xCommands.AllChannels);
        Assert.Equal(0x0360, command);
        Assert.Equal(0xF46C, WirePec(command));
    }

    [Fact]
    public void ADOW_pull_up()
    {
        int command = Ltc681xCommands.Adow(Ltc681xCommands.ModeNormal, true, false, Ltc681xCommands.AllChannels);
        Assert.Equal(0x0368, command);
        Assert.Equal(0x1C62, WirePec(command));
    }

    [Fact]
    public void ADOW_pull_down()
    {
        int command = Ltc681xCommands.Adow(Ltc681xCommands.ModeNormal, false, false, Ltc681xCommands.AllChannels);
        Assert.Equal(0x0328, command);
        Assert.Equal(0xFBE8, WirePec(command));
    }

    [Fact]
    public void ADAX_normal_mode_all_gpios()
    {
        int command = Ltc681xCommands.Adax(Ltc681xCommands.ModeNormal, Ltc681xCommands.AllChannels);
        Assert.Equal(0x0560, command);
        Assert.Equal(0xD3A0, WirePec(command));
    }

    [Fact]
    public void Group_read_commands_in_register_order()
    {
        Assert.Equal(new[] { 0x004, 0x006, 0x008, 0x00A, 0x009, 0x00B }, Enumerable.Range(0, 6).Select(Ltc681xCommands.ReadCellGroup));
        Assert.Equal(new[] { 0x00C, 0x00E, 0x00D, 0x00F }, Enumerable.Range(0, 4).Select(Ltc681xCommands.ReadAuxGroup));
    }

    [Theory]
    [InlineData(2500, 1561, 24992)]
    [InlineData(3000, 1874, 30000)]
    [InlineData(1600, 999, 16000)]
    public void Under_voltage_threshold_round_trip(int mV, int vuv, int applied_100uV)
    {
        Assert.Equal(vuv, Ltc681xCommands.EncodeUnderVoltage(mV));
        Assert.Equal(applied_100uV, Ltc681xCommands.UnderVoltageOf(vuv));
        Assert.True(applied_100uV <= mV * 10);
    }

    [Theory]
    [InlineData(4250, 2656, 42496)]
    [InlineData(4200, 2625, 42000)]
    public void Over_voltage_threshold_round_trip(int mV, int vov, int applied_100uV)
    {
        Assert.Equal(vov, Ltc681xCommands.EncodeOverVoltage(mV));
        Assert.Equal(applied_100uV, Ltc681xCommands.OverVoltageOf(vov));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 30)]
    [InlineData(2, 60)]
    [InlineData(7, 600)]
    [InlineData(12, 3600)]
    [InlineData(15, 7200)]
    public void Discharge_timeout_codes(int code, int seconds)
    {
        Assert.Equal(seconds, Ltc681xCommands.DischargeTimeout_s(code));
    }

    [Theory]
    [InlineData(37000, 3700)]
    [InlineData(37004, 3700)]
    [InlineData(37005, 3701)]
    [InlineData(0, 0)]
    [InlineData(65534, 6553)]
    public void Cell_code_to_millivolts_rounds_half_up(int code, int mV)
    {
        Assert.Equal(mV, Bms.Drivers.Ltc681x.Ltc681x.CodeToMillivolts(code));
    }
}
