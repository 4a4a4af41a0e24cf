namespace Bms.Firmware.Safety
{
    /// <summary>Why a temperature channel is not trusted (plausibility result of the thermal-runaway guard).</summary>
    public enum TemperatureSensorFault
    {
        /// <summary>Plausible reading.</summary>
        None = 0,
        /// <summary>Reading pinned at or below the low rail: open thermistor or broken wire.</summary>
        Open = 1,
        /// <summary>Reading jumped to or sits at the high rail without a credible rise: shorted thermistor.</summary>
        Shorted = 2,
        /// <summary>Physically impossible step between two samples with no effect on any cell voltage.</summary>
        ImpossibleStep = 3,
        /// <summary>No change at all for a long time while neighbouring sensors moved.</summary>
        Frozen = 4,
        /// <summary>The AFE could not deliver a valid reading for too long.</summary>
        Unreadable = 5,
    }
}
