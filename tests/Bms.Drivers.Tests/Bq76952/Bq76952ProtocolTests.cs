using Bms.Drivers.Bq76952;
using Bms.Drivers.Common;

namespace Bms.Drivers.Tests.Bq76952;

/// <summary>Published BQ76952 protocol vectors (DESIGN.md section 7) and the byte rules built on them.</summary>
public class Bq76952ProtocolTests
{
    [Fact]
    public void Crc8_over_write_of_fet_enable_low_byte_is_0x63()
    {
        Assert.Equal(0x63, Crc8.Compute([0x10, 0x3E, 0x22], 0, 3));
        Assert.Equal(0x63, Bq76952Protocol.WriteFirstCrc(0x08, 0x3E, 0x22));
    }

    [Fact]
    public void Crc8_of_later_write_byte_0x00_is_0x00()
    {
        Assert.Equal(0x00, Crc8.Compute([0x00], 0, 1));
        Assert.Equal(0x00, Bq76952Protocol.NextCrc(0x00));
    }

    [Fact]
    public void Crc8_over_read_of_cell1_low_byte_is_0x33()
    {
        Assert.Equal(0x33, Crc8.Compute([0x10, 0x14, 0x11, 0x68], 0, 4));
        Assert.Equal(0x33, Bq76952Protocol.ReadFirstCrc(0x08, 0x14, 0x68));
    }

    [Fact]
    public void Crc8_of_later_read_byte_0x0B_is_0x31()
    {
        Assert.Equal(0x31, Crc8.Compute([0x0B], 0, 1));
        Assert.Equal(0x31, Bq76952Protocol.NextCrc(0x0B));
    }

    [Fact]
    public void Cell1_raw_0x0E74_is_3700_mV()
    {
        Assert.Equal(3700, Bq76952Protocol.CellVoltage_mV(0x74, 0x0E));
        Assert.Equal(3700, Bq76952Protocol.ReadInt16([0x74, 0x0E], 0));
    }

    [Fact]
    public void Negative_cell_reading_is_signed()
    {
        Assert.Equal(-5, Bq76952Protocol.CellVoltage_mV(0xFB, 0xFF));
    }

    [Fact]
    public void Fet_enable_write_in_crc_mode_frames_as_3E_22_63_00_00()
    {
        var frame = new byte[8];
        int n = Bq76952Protocol.FrameWrite(frame, 0x08, 0x3E, [0x22, 0x00], 0, 2, crcMode: true);
        Assert.Equal(new byte[] { 0x3E, 0x22, 0x63, 0x00, 0x00 }, frame[..n]);
    }

    [Fact]
    public void Read_answer_with_trm_crcs_unframes_to_2920_mV()
    {
        var data = new byte[2];
        Assert.True(Bq76952Protocol.UnframeRead([0x68, 0x33, 0x0B, 0x31], 0, 0x08, 0x14, data, 0, 2));
        Assert.Equal(2920, Bq76952Protocol.CellVoltage_mV(data[0], data[1]));
        Assert.False(Bq76952Protocol.UnframeRead([0x68, 0x34, 0x0B, 0x31], 0, 0x08, 0x14, data, 0, 2));
        Assert.False(Bq76952Protocol.UnframeRead([0x68, 0x33, 0x0B, 0x30], 0, 0x08, 0x14, data, 0, 2));
    }

    [Fact]
    public void Trm_data_memory_write_0x307A_to_0x9180_has_checksum_0x44_and_length_6()
    {
        byte[] transfer = [0x80, 0x91, 0x7A, 0x30];
        Assert.Equal(0x44, Bq76952Protocol.SubcommandChecksum(transfer, 0, 4));
        Assert.Equal(0x06, Bq76952Protocol.SubcommandLength(2));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(500)]
    [InlineData(250)]
    [InlineData(2000)]
    [InlineData(333)]
    public void Cc_gain_bits_match_ieee_single_of_7_4768_over_milliohms(int senseResistor_uOhm)
    {
        int bits = Bq76952Protocol.SingleBitsOfRatio(74768, 10L * senseResistor_uOhm);
        float expected = (float)(7.4768 / (senseResistor_uOhm / 1000.0));
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), bits);
    }

    [Fact]
    public void Temperature_conversion_from_deci_kelvin()
    {
        Assert.Equal(250, Bq76952Protocol.Temperature_dC(2982));
        Assert.Equal(-200, Bq76952Protocol.Temperature_dC(2532));
    }
}
