using Bms.Firmware.Chemistry;
using Bms.Reference;

namespace Bms.Firmware.Tests.Estimation;

public class StateOfHealthTests
{
    private static (int Capacity, int Resistance) RunAged(double capacityFactor, double r0Factor)
    {
        var profile = ChemistryProfiles.NmcGraphite;
        var trace = SimulatedCell.CyclingTrace(profile, 3000, capacityFactor, r0Factor);
        int capacity = 0, resistance = 0;
        SocAccuracy.Run(trace, profile, 3000, 0, 0, 100, false, (s, e) => { capacity = e.CapacitySoh_pcm; resistance = e.ResistanceSoh_pcm; });
        return (capacity, resistance);
    }

    [Theory]
    [InlineData(1.00, 1.00)]
    [InlineData(0.85, 1.00)]
    [InlineData(0.80, 1.50)]
    [InlineData(0.95, 1.30)]
    public void Capacity_fade_and_resistance_growth_are_estimated_within_3_percent(double capacityFactor, double r0Factor)
    {
        var (capacity, resistance) = RunAged(capacityFactor, r0Factor);
        Assert.InRange(capacity, (int)(capacityFactor * 100000) - 3000, (int)(capacityFactor * 100000) + 3000);
        // R0 is measured over 1 s steps, which also catches the first second of the RC branch.
        Assert.InRange(resistance, (int)(r0Factor * 100000) - 3000, (int)(r0Factor * 100000) + 3000);
    }
}
