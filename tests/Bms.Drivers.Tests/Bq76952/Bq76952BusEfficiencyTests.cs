using Bms.Emulators.Bq76952;
using Xunit.Abstractions;

namespace Bms.Drivers.Tests.Bq76952;

/// <summary>A full scan may cost at most 20 % more bus bytes than the protocol minimum.</summary>
public class Bq76952BusEfficiencyTests(ITestOutputHelper output)
{
    [Fact]
    public void Minimum_for_16_cells_and_4_temperatures_matches_a_hand_count()
    {
        // Blocks 0x03-07 (5), 0x12-35 (36), 0x3A-3B, 0x62-63, 0x68-69 (2 each), 0x70-75 (6): 53 bytes + 6 x 3 overhead.
        Assert.Equal(53 + 18, Bq76952BusBudget.MinimumBytesPerScan(16, 4, crcMode: false));
        Assert.Equal(2 * 53 + 18, Bq76952BusBudget.MinimumBytesPerScan(16, 4, crcMode: true));
    }

    [Theory]
    [InlineData(16, true, true, true, false)]
    [InlineData(16, true, true, true, true)]
    [InlineData(8, true, false, false, false)]
    [InlineData(8, true, false, false, true)]
    [InlineData(3, false, false, false, false)]
    [InlineData(3, false, false, false, true)]
    public void Scan_stays_within_120_percent_of_the_protocol_minimum(int cells, bool ts1, bool ts2, bool ts3, bool crc)
    {
        int mask = (1 << cells) - 1; // inputs 1..cells, the layout the budget assumes
        var f = new Bq76952Fixture(cells, crc, c =>
        {
            c.CellInputMask = mask;
            c.Ts1Thermistor = ts1;
            c.Ts2Thermistor = ts2;
            c.Ts3Thermistor = ts3;
        }).Initialized();
        long initializeBytes = f.Driver.Statistics.BusBytes;
        long initializeWait_us = f.Clock.WaitedMicroseconds;
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();

        int minimum = Bq76952BusBudget.MinimumBytesPerScan(cells, f.Driver.TemperatureCount, crc);
        int actual = f.Driver.Statistics.LastScanBusBytes;
        output.WriteLine($"cells={cells} temps={f.Driver.TemperatureCount} crc={crc}: scan {actual} bytes in {f.Driver.ReadTransactionsPerScan} reads + 1 alarm clear, minimum {minimum}, ratio {(double)actual / minimum:F3}; Initialize {initializeBytes} bytes + {initializeWait_us} us of subcommand polling waits");
        Assert.True(actual >= minimum, "a scan cannot beat the protocol minimum: the budget or the byte count is wrong");
        Assert.True(actual * 10 <= minimum * 12, $"scan used {actual} bytes, more than 1.2 x {minimum}");
    }
}
