using Bms.Drivers.CellMonitoring;

namespace Bms.Drivers.Tests.CellMonitoring;

/// <summary>The check every driver's scan summary is held to: claimed, and equal to the one recomputed from the cells.</summary>
internal static class CellSummaryAssert
{
    public static void MatchesCells(CellMonitorReadings r, int cellCount)
    {
        Assert.True(r.CellSummaryKnown);
        int count = 0, sum = 0, hi = int.MinValue, lo = int.MaxValue, hiI = -1, loI = -1;
        for (int i = 0; i < cellCount; i++)
        {
            if (!r.CellValid[i]) continue;
            int v = r.CellVoltage_mV[i];
            count++;
            sum += v;
            if (v > hi) { hi = v; hiI = i; }
            if (v < lo) { lo = v; loI = i; }
        }
        Assert.Equal(count, r.ValidCellCount);
        Assert.Equal(sum, r.ValidCellSum_mV);
        Assert.Equal(hi, r.HighestCell_mV);
        Assert.Equal(hiI, r.HighestCellIndex);
        Assert.Equal(lo, r.LowestCell_mV);
        Assert.Equal(loI, r.LowestCellIndex);
    }
}
