using Bms.Drivers.Bq769x0;
using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Tests.Bq76952;
using Bms.Drivers.Tests.Bq769x0;
using Bms.Emulators.Common;

namespace Bms.Drivers.Tests.CellMonitoring;

/// <summary>
/// The cell summary (valid count, sum, highest/lowest and their first cell) the BQ76952 and BQ769x0 drivers write
/// while decoding a scan (the LTC681x tests use the same check): whenever they claim it, it equals the one recomputed from the cells, including ties,
/// negative codes and scans that lost their cell block.
/// </summary>
public class BqScanSummaryTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Bq76952_summary_equals_the_cells_over_random_packs_and_ties(int seed)
    {
        var random = new Random(seed);
        // 16 cells: every cell register in one block read, the case in which the driver claims the summary; other
        // counts leave gaps in the default wiring, and whatever the plan, a claimed summary must be right.
        int cells = seed <= 2 ? 16 : random.Next(3, 16);
        var f = new Bq76952Fixture(cells, crc: seed % 2 == 0).Initialized();
        int claimed = 0;
        for (int scan = 0; scan < 40; scan++)
        {
            // A narrow range makes ties (equal highest or lowest cells) common.
            for (int i = 0; i < cells; i++) f.Pack.CellVoltage_mV[i] = scan % 3 == 0 ? 3600 + random.Next(3) : random.Next(0, 5000);
            f.Readings.InvalidateAll();
            Assert.True(f.Driver.Measure(f.Readings), $"seed {seed} scan {scan}");
            if (f.Readings.CellSummaryKnown)
            {
                claimed++;
                CellSummaryAssert.MatchesCells(f.Readings, cells);
            }
        }
        if (cells == 16) Assert.Equal(40, claimed);
    }

    [Theory]
    [InlineData(Bq769x0Variant.Bq76920, 5, 1, false)]
    [InlineData(Bq769x0Variant.Bq76930, 10, 2, true)]
    [InlineData(Bq769x0Variant.Bq76940, 15, 3, true)]
    [InlineData(Bq769x0Variant.Bq76940, 15, 3, false)]
    public void Bq769x0_summary_equals_the_cells_over_random_packs_and_ties(Bq769x0Variant variant, int cells, int temps, bool crc)
    {
        var random = new Random(cells * 7 + (crc ? 1 : 0));
        var rig = new Bq769x0Rig(variant, cells, temps, crc);
        rig.StartAndSettle();
        int claimed = 0;
        for (int scan = 0; scan < 40; scan++)
        {
            for (int i = 0; i < cells; i++) rig.Pack.CellVoltage_mV[i] = scan % 3 == 0 ? 3600 + random.Next(3) : random.Next(1000, 4800);
            rig.Readings.InvalidateAll();
            Assert.True(rig.MeasureAfter(250), $"scan {scan}, faults 0x{rig.Readings.Faults:X}");
            if (rig.Readings.CellSummaryKnown)
            {
                claimed++;
                CellSummaryAssert.MatchesCells(rig.Readings, cells);
            }
        }
        Assert.Equal(40, claimed); // the cells are read in one block: the driver gives the summary on every scan
    }

    [Fact]
    public void A_scan_that_loses_its_cell_block_claims_no_summary()
    {
        var f = new Bq76952Fixture(16).Initialized();
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.True(f.Readings.CellSummaryKnown);
        f.Readings.InvalidateAll();
        f.Chip.Inject(EmulatorFault.NoAnswer, 1000);
        f.Driver.Measure(f.Readings);
        Assert.False(f.Readings.CellSummaryKnown);
        Assert.Equal(0, Enumerable.Range(0, 16).Count(i => f.Readings.CellValid[i]));
    }
}
