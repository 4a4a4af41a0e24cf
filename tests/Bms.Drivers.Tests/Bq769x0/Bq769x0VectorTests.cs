using Bms.Drivers.Bq769x0;
using Bms.Drivers.Common;

namespace Bms.Drivers.Tests.Bq769x0;

/// <summary>The published BQ769x0 vectors (DESIGN.md §7) and the datasheet conversions, one assertion each.</summary>
public class Bq769x0VectorTests
{
    [Fact]
    public void Write_crc_vector_10_05_40_is_0x24()
    {
        Assert.Equal(0x24, Crc8.Compute(new byte[] { 0x10, 0x05, 0x40 }, 0, 3));
    }

    [Fact]
    public void Read_crc_vector_11_40_is_0x85()
    {
        Assert.Equal(0x85, Crc8.Compute(new byte[] { 0x11, 0x40 }, 0, 2));
    }

    [Fact]
    public void Pack_example_gain_377_offset_48_bat_0x922B_14_cells_is_57_1_V()
    {
        // 4 · 377 µV · 37419 + 14 · 48 mV = 56 427 852 µV + 672 000 µV = 57 099 852 µV (the datasheet's 57.0999 V).
        Assert.Equal(57_099_852, Bq769x0Conversions.StackVoltage_uV(0x922B, 377, 48, 14));
        // Rounded to the nearest millivolt (0.852 mV is above one half): 57 100 mV, not the truncated 57 099.
        Assert.Equal(57_100, Bq769x0Conversions.StackVoltage_mV(0x922B, 377, 48, 14));
    }

    [Theory]
    [InlineData(0x04, 0x80, 377)]   // gain code 12 = 0b01100: ADCGAIN1 bits 3..2 = 01, ADCGAIN2 bits 7..5 = 100
    [InlineData(0x00, 0x00, 365)]
    [InlineData(0x0C, 0xE0, 396)]
    [InlineData(0xF3, 0x1F, 365)]   // reserved bits set, gain bits clear
    [InlineData(0x08, 0x20, 382)]   // code 17 = 0b10001
    public void Gain_comes_from_adcgain1_bits_3_2_and_adcgain2_bits_7_5(int gain1, int gain2, int expected_uV)
    {
        Assert.Equal(expected_uV, Bq769x0Conversions.GainFromTrim(gain1, gain2));
    }

    [Theory]
    [InlineData(0x30, 48)]
    [InlineData(0x00, 0)]
    [InlineData(0x7F, 127)]
    [InlineData(0x80, -128)]
    [InlineData(0xF6, -10)]
    public void Offset_is_a_signed_byte_in_millivolt(int register, int expected_mV)
    {
        Assert.Equal(expected_mV, Bq769x0Conversions.OffsetFromTrim(register));
    }

    [Theory]
    [InlineData(10000, 377, 48, 3_818_000)]
    [InlineData(0x3FFF, 396, 127, 6_614_668)]
    [InlineData(0, 365, -20, -20_000)]
    [InlineData(0xC000 | 8000, 380, 30, 3_070_000)] // bits above the 14-bit code are ignored
    public void Cell_voltage_is_raw_times_gain_plus_offset(int raw, int gain, int offset, long expected_uV)
    {
        Assert.Equal(expected_uV, Bq769x0Conversions.CellVoltage_uV(raw, gain, offset));
        Assert.Equal((int)Math.Round(expected_uV / 1000.0, MidpointRounding.AwayFromZero), Bq769x0Conversions.CellVoltage_mV(raw, gain, offset));
    }

    [Theory]
    [InlineData(1000, 1000, 8440)]          // 8.44 mV across 1 mΩ = 8.44 A, charging
    [InlineData(0xFFFF, 1000, -8)]          // −1 LSB = −8.44 mA → −8
    [InlineData(0x8000, 1000, -276_562)]    // −32768 · 8.44 µV / 1 mΩ = −276 561.92 mA
    [InlineData(0x7FFF, 500, 553_107)]      // 32767 · 8.44 µV / 0.5 mΩ = 553 106.96 mA
    [InlineData(0xFF00, 2000, -1080)]       // −256 · 8.44 µV / 2 mΩ = −1080.32 mA
    public void Coulomb_counter_is_8_44_uV_per_lsb_over_the_shunt(int raw, int shunt_uOhm, int expected_mA)
    {
        Assert.Equal(expected_mA, Bq769x0Conversions.Current_mA(raw, shunt_uOhm));
    }

    [Fact]
    public void Ov_trip_register_example_gain_380_offset_30_4250_mV()
    {
        // (4 250 000 − 30 000) / 380 = 11105.3 → code 11105; register = (11105 − 0x2008) / 16 = 181 (floor).
        int register = Bq769x0Conversions.OverVoltageTripRegister(4250, 380, 30);
        Assert.Equal(181, register);
        Assert.Equal(0x2008 | (181 << 4), Bq769x0Conversions.OverVoltageTripCode(register));
        Assert.Equal(4246, Bq769x0Conversions.CellVoltage_mV(Bq769x0Conversions.OverVoltageTripCode(register), 380, 30));
    }

    [Fact]
    public void Ov_and_uv_trip_registers_never_trip_later_than_asked_and_stay_within_one_step()
    {
        foreach (int gain in new[] { 365, 377, 382, 396 })
        foreach (int offset in new[] { -128, -20, 0, 48, 127 })
        {
            // Only thresholds the register can express: OV codes 0x2008..0x2FF8, UV codes 0x1000..0x1FF0.
            long ovLowest = Bq769x0Conversions.CellVoltage_uV(0x2008, gain, offset);
            long ovHighest = Bq769x0Conversions.CellVoltage_uV(0x2FF8, gain, offset);
            for (long ov_uV = ovLowest + 999; ov_uV <= ovHighest; ov_uV += 7000)
            {
                int ov = (int)(ov_uV / 1000);
                long effective = Bq769x0Conversions.CellVoltage_uV(Bq769x0Conversions.OverVoltageTripCode(
                    Bq769x0Conversions.OverVoltageTripRegister(ov, gain, offset)), gain, offset);
                Assert.InRange(ov * 1000L - effective, 0, 16L * gain - 1);
            }
            long uvLowest = Bq769x0Conversions.CellVoltage_uV(0x1000, gain, offset);
            long uvHighest = Bq769x0Conversions.CellVoltage_uV(0x1FF0, gain, offset);
            for (long uv_uV = uvLowest; uv_uV <= uvHighest - 999; uv_uV += 7000)
            {
                int uv = (int)(uv_uV / 1000);
                long effective = Bq769x0Conversions.CellVoltage_uV(Bq769x0Conversions.UnderVoltageTripCode(
                    Bq769x0Conversions.UnderVoltageTripRegister(uv, gain, offset)), gain, offset);
                Assert.InRange(effective - uv * 1000L, 0, 16L * gain - 1);
            }
        }
    }

    [Fact]
    public void Trip_registers_clamp_to_the_chips_range()
    {
        Assert.Equal(0, Bq769x0Conversions.OverVoltageTripRegister(2000, 380, 0));
        Assert.Equal(255, Bq769x0Conversions.OverVoltageTripRegister(6000, 380, 0));
        Assert.Equal(0, Bq769x0Conversions.UnderVoltageTripRegister(500, 380, 0));
        Assert.Equal(255, Bq769x0Conversions.UnderVoltageTripRegister(4000, 380, 0));
    }

    [Theory]
    [InlineData(Bq769x0Variant.Bq76920, 5, new[] { 0, 1, 2, 3, 4 })]
    [InlineData(Bq769x0Variant.Bq76920, 4, new[] { 0, 1, 2, 4 })]
    [InlineData(Bq769x0Variant.Bq76920, 3, new[] { 0, 1, 4 })]
    [InlineData(Bq769x0Variant.Bq76930, 7, new[] { 0, 1, 2, 4, 5, 6, 9 })]
    [InlineData(Bq769x0Variant.Bq76930, 10, new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 })]
    [InlineData(Bq769x0Variant.Bq76940, 14, new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14 })]
    [InlineData(Bq769x0Variant.Bq76940, 9, new[] { 0, 1, 4, 5, 6, 9, 10, 11, 14 })]
    public void Fewer_cells_use_the_recommended_inputs_and_always_the_top_of_each_group(Bq769x0Variant variant, int cells, int[] expected)
    {
        Assert.Equal(expected, Bq769x0Conversions.DefaultCellInputs(variant, cells));
    }

    [Theory]
    [InlineData(Bq769x0Variant.Bq76920, 2)]
    [InlineData(Bq769x0Variant.Bq76920, 6)]
    [InlineData(Bq769x0Variant.Bq76930, 5)]
    [InlineData(Bq769x0Variant.Bq76940, 8)]
    [InlineData(Bq769x0Variant.Bq76940, 16)]
    public void Impossible_cell_counts_are_refused(Bq769x0Variant variant, int cells)
    {
        Assert.Throws<ArgumentException>(() => Bq769x0Conversions.DefaultCellInputs(variant, cells));
    }
}
