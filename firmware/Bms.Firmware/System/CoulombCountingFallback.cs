using Bms.Firmware.Chemistry;
using Bms.Firmware.Measurement;

namespace Bms.Firmware.Composition
{
    /// <summary>
    /// Interim state-of-charge source used by <see cref="BmsSystem"/> until the Kalman estimator
    /// (Estimation/StateEstimator) is wired in: starts from the given SoC or from the OCV of the lowest valid cell,
    /// then counts charge every 100 ms in mA·ms without losing remainders. Same call pattern as the estimator.
    /// </summary>
    internal sealed class CoulombCountingFallback
    {
        private readonly ChemistryProfile _profile;
        private readonly long _capacity_mAms;
        private long _charge_mAms;
        private long _lastTime_ms = long.MinValue;

        public CoulombCountingFallback(ChemistryProfile profile, int capacity_mAh)
        {
            _profile = profile;
            _capacity_mAms = (long)capacity_mAh * 3600000L;
        }

        public int PackSoc_pcm { get { return (int)(_charge_mAms * 100000 / _capacity_mAms); } }

        public void Start(MeasurementSnapshot snapshot, int initialSoc_pcm)
        {
            int soc = initialSoc_pcm;
            if (soc < 0)
            {
                int lowest = int.MaxValue;
                for (int i = 0; i < snapshot.CellCount; i++)
                {
                    if (snapshot.CellValid[i] && snapshot.CellVoltage_mV[i] < lowest)
                    {
                        lowest = snapshot.CellVoltage_mV[i];
                    }
                }
                soc = lowest == int.MaxValue ? 50000 : _profile.SocFromOcv_pcm(lowest, 250);
            }
            if (soc > 100000)
            {
                soc = 100000;
            }
            _charge_mAms = _capacity_mAms * soc / 100000;
            _lastTime_ms = snapshot.CurrentTime_ms;
        }

        public void Update100ms(MeasurementSnapshot snapshot)
        {
            long now = snapshot.CurrentTime_ms;
            if (snapshot.CurrentValid && _lastTime_ms != long.MinValue && now > _lastTime_ms)
            {
                _charge_mAms += (long)snapshot.Current_mA * (now - _lastTime_ms);
                if (_charge_mAms < 0) _charge_mAms = 0;
                if (_charge_mAms > _capacity_mAms) _charge_mAms = _capacity_mAms;
            }
            _lastTime_ms = now;
        }
    }
}
