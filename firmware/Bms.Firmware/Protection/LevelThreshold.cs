namespace Bms.Firmware.Protection
{
    /// <summary>
    /// One level (warning, alarm or fault) of one protected quantity. The level is set when the value has been
    /// beyond <see cref="Threshold"/> for <see cref="SetDelay_ms"/> and cleared when it has been back past
    /// <see cref="ClearThreshold"/> for <see cref="ClearDelay_ms"/>. "Beyond" means above for upper limits and
    /// below for lower limits; the clear threshold lies on the safe side of the threshold (hysteresis).
    /// Units are those of the quantity (mV, mA, 0.1 °C).
    /// </summary>
    public sealed class LevelThreshold
    {
        /// <summary>Creates a level.</summary>
        public LevelThreshold(int threshold, int setDelay_ms, int clearThreshold, int clearDelay_ms)
        {
            Threshold = threshold;
            SetDelay_ms = setDelay_ms;
            ClearThreshold = clearThreshold;
            ClearDelay_ms = clearDelay_ms;
        }

        /// <summary>Value beyond which the level starts counting towards being set.</summary>
        public int Threshold;
        /// <summary>How long the value must stay beyond the threshold.</summary>
        public int SetDelay_ms;
        /// <summary>Value the quantity must return past before the level may clear.</summary>
        public int ClearThreshold;
        /// <summary>How long the value must stay past the clear threshold.</summary>
        public int ClearDelay_ms;

        /// <summary>A copy (configurations are copied so a caller cannot change them after validation).</summary>
        public LevelThreshold Clone()
        {
            return new LevelThreshold(Threshold, SetDelay_ms, ClearThreshold, ClearDelay_ms);
        }
    }
}
