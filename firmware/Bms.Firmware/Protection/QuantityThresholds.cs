namespace Bms.Firmware.Protection
{
    /// <summary>The three levels of one protected quantity and whether it is an upper or a lower limit.</summary>
    public sealed class QuantityThresholds
    {
        /// <summary>Creates the thresholds of one quantity.</summary>
        public QuantityThresholds(bool upperLimit, LevelThreshold warning, LevelThreshold alarm, LevelThreshold fault)
        {
            UpperLimit = upperLimit;
            Warning = warning;
            Alarm = alarm;
            Fault = fault;
        }

        /// <summary>true: values above the threshold are bad (over-voltage); false: values below are bad.</summary>
        public readonly bool UpperLimit;
        /// <summary>Reduce current limits.</summary>
        public LevelThreshold Warning;
        /// <summary>Request zero current.</summary>
        public LevelThreshold Alarm;
        /// <summary>Open the contactors; latched.</summary>
        public LevelThreshold Fault;

        /// <summary>The level by index: 0 warning, 1 alarm, 2 fault.</summary>
        public LevelThreshold GetLevel(int levelIndex)
        {
            if (levelIndex == 0)
            {
                return Warning;
            }
            return levelIndex == 1 ? Alarm : Fault;
        }

        /// <summary>A deep copy.</summary>
        public QuantityThresholds Clone()
        {
            return new QuantityThresholds(UpperLimit,
                Warning == null ? null : Warning.Clone(),
                Alarm == null ? null : Alarm.Clone(),
                Fault == null ? null : Fault.Clone());
        }
    }
}
