/**
 * mlflow.log_figure for the browser's charts: SVG (an element or its markup)
 * is stored as `.svg`; a canvas chart as `.png` or `.jpg` (MLflow saves a
 * figure in the format its file name asks for).
 */
import { invalidParameter } from '../../schema/errors.js';
import { describe } from '../../schema/validation.js';

/** An `<svg>` element, SVG markup, or a canvas the chart was drawn on. */
export type FigureInput = SVGElement | string | HTMLCanvasElement | OffscreenCanvas;

export function isSvgElement(value: unknown): value is SVGElement {
  return typeof SVGElement !== 'undefined' && value instanceof SVGElement;
}

/** The SVG file's text, or undefined when `figure` is not SVG. */
export function svgText(figure: unknown): string | undefined {
  if (isSvgElement(figure)) return new XMLSerializer().serializeToString(figure);
  if (typeof figure === 'string') {
    if (/^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i.test(figure)) return figure;
    throw invalidParameter(
      `Unsupported figure ${describe(figure.length > 40 ? `${figure.slice(0, 40)}…` : figure)}: a string figure must be SVG markup starting with <svg>.`,
    );
  }
  return undefined;
}
